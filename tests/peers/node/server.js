// POST /api-keys with Node.js's own http module, the way a team writes it.
//
//   node tests/peers/node/server.js --port 0 --tokens good --forbidden ro [--defect NAME]
//
// JSON.parse / JSON.stringify, crypto.randomUUID() and crypto.randomBytes(). Lengths are
// counted in code points ([...name].length; name.length counts UTF-16 units) and /\S/ is
// ECMA-262's, as the contract says. Like most Node services it is lenient where the
// contract leaves a choice: a body without Content-Type is parsed as JSON, a UTF-8 byte
// order mark is skipped, duplicate keys keep the last value, and a lone surrogate escape
// ("\ud800") is accepted and echoed back (JSON.stringify escapes it).
"use strict";

const crypto = require("node:crypto");
const http = require("node:http");
const { ApiError, options } = require("./peer_options");

const MAX_LENGTH = 100;
const MAX_BODY_BYTES = 1024 * 1024 * 8;
// Invalid UTF-8 is an error (Buffer#toString would put U+FFFD in the name); a leading
// byte order mark is dropped, as TextDecoder does by default.
const UTF8 = new TextDecoder("utf-8", { fatal: true });

const DEFECTS = {
  "utf16-length": "counts the name's length with name.length (UTF-16 units)",
  "no-request-id-on-errors": "sets X-Request-Id only on the success response",
  "constant-secret": "derives clientSecret from a fixed value instead of randomBytes",
};

function authenticate(header, config) {
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header || "");
  if (!match) {
    throw new ApiError(401, "invalid_token", "Missing bearer token in the Authorization header.");
  }
  const token = match[1];
  if (config.forbidden.has(token)) {
    throw new ApiError(403, "permission_denied", "This token may not create API keys.");
  }
  if (!config.tokens.has(token)) {
    throw new ApiError(401, "invalid_token", "The access token is invalid or expired.");
  }
}

function parse(body, contentType) {
  const mediaType = (contentType || "").split(";")[0].trim().toLowerCase();
  if (contentType !== undefined && mediaType !== "application/json") {
    throw new ApiError(400, "unsupported_media_type", "Content-Type must be application/json.");
  }
  try {
    return JSON.parse(UTF8.decode(body));
  } catch {
    throw new ApiError(400, "malformed_json", "Request body is not valid UTF-8 JSON.");
  }
}

function validateName(document, defects) {
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    throw new ApiError(400, "invalid_request", "The body must be a JSON object.");
  }
  const name = document.name;
  if (typeof name !== "string") {
    throw new ApiError(400, "invalid_request", "name is required and must be a string.");
  }
  const length = defects.has("utf16-length") ? name.length : [...name].length;
  if (length < 1 || length > MAX_LENGTH) {
    throw new ApiError(400, "invalid_request", `name must be 1 to ${MAX_LENGTH} characters.`);
  }
  if (!/\S/.test(name)) {
    throw new ApiError(400, "invalid_request", "name must not be blank.");
  }
  return name;
}

function secret(defects) {
  if (defects.has("constant-secret")) {
    return crypto.createHash("sha256").update("api-keys").digest("base64url");
  }
  return crypto.randomBytes(32).toString("base64url");
}

function send(response, status, document, withRequestId) {
  const body = JSON.stringify(document);
  const headers = {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
  };
  if (withRequestId) {
    headers["X-Request-Id"] = crypto.randomUUID();
  }
  response.writeHead(status, headers);
  response.end(body);
}

function handle(request, body, config) {
  if (request.url.split("?")[0] !== "/api-keys") {
    throw new ApiError(404, "not_found", "No such resource.");
  }
  if (request.method !== "POST") {
    throw new ApiError(405, "method_not_allowed", "Use POST.");
  }
  authenticate(request.headers.authorization, config);
  const name = validateName(parse(body, request.headers["content-type"]), config.defects);
  return { name, clientId: crypto.randomUUID(), clientSecret: secret(config.defects) };
}

function serve(config) {
  const server = http.createServer((request, response) => {
    const chunks = [];
    let size = 0;
    request.on("data", (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on("end", () => {
      const errorsHaveId = !config.defects.has("no-request-id-on-errors");
      try {
        if (size > MAX_BODY_BYTES) {
          throw new ApiError(400, "body_too_large", "The request body is too large.");
        }
        send(response, 201, handle(request, Buffer.concat(chunks), config), true);
      } catch (error) {
        if (error instanceof ApiError) {
          send(response, error.status, { code: error.code, message: error.message }, errorsHaveId);
        } else {
          const failure = { code: "internal_error", message: "Something went wrong." };
          send(response, 500, failure, errorsHaveId);
        }
      }
    });
  });
  server.listen(config.port, "127.0.0.1", () => {
    console.log(`listening on http://127.0.0.1:${server.address().port}`);
  });
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => process.exit(0));
  }
  return server;
}

serve(options(process.argv.slice(2), DEFECTS));
