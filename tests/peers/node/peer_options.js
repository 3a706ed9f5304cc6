// What the Node.js peers share: their command line and the error they answer with.
//
//   --port N --tokens a,b --forbidden c [--defect NAME]...
"use strict";

const { parseArgs } = require("node:util");

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// The peer's options; a --defect not in `defects` (name -> description) is refused.
function options(argv, defects) {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string", default: "8000" },
      tokens: { type: "string", multiple: true, default: [] },
      forbidden: { type: "string", multiple: true, default: [] },
      defect: { type: "string", multiple: true, default: [] },
    },
  });
  const split = (list) => new Set(list.flatMap((v) => v.split(",")).filter(Boolean));
  for (const defect of values.defect) {
    if (!(defect in defects)) {
      throw new Error(`unknown defect ${defect}; choose from ${Object.keys(defects).join(", ")}`);
    }
  }
  return {
    port: Number(values.port),
    tokens: split(values.tokens),
    forbidden: split(values.forbidden),
    defects: new Set(values.defect),
  };
}

module.exports = { ApiError, options };
