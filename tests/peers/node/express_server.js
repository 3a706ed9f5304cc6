// POST /api-keys with Express 5 and express.json (body-parser), the way a team writes it.
//
//   node tests/peers/node/express_server.js --port 0 --tokens good --forbidden ro [--defect NAME]
//
// The conforming twin keeps Express's defaults where they agree with the contract and
// overrides them where they do not: body-parser decodes the body with iconv-lite, which
// replaces invalid UTF-8 with U+FFFD, so a `verify` hook refuses it first; the bearer
// scheme is matched case-insensitively after one or more spaces (RFC 9110 section 11.1);
// only application/json is parsed. Each `--defect` puts back the default, or the shortcut,
// that teams really ship (see DEFECTS).
"use strict";

const crypto = require("node:crypto");
const { ApiError, options } = require("./peer_options");
const express = require("express");

const MAX_LENGTH = 100;
const UTF8 = new TextDecoder("utf-8", { fatal: true });
// ECMA-262's \s, which /\S/ in JavaScript already is: the contract's pattern as written.
const NOT_BLANK = /\S/;

const DEFECTS = {
  "case-sensitive-scheme": 'header.startsWith("Bearer "): "bearer x" and "Bearer  x" get 401',
  "replace-invalid-utf8": "express.json() alone: invalid UTF-8 becomes U+FFFD and gets 201",
  "plus-json": 'express.json({type: ["application/json", "application/*+json"]})',
  "normalize-nfc": "stores name.normalize(\"NFC\") and echoes what it stored",
  "query-token": "also reads the token from ?access_token= (passport-http-bearer's default)",
};

function bearerToken(request, defects) {
  const header = request.get("authorization") || "";
  if (defects.has("query-token") && typeof request.query.access_token === "string") {
    return request.query.access_token;
  }
  if (defects.has("case-sensitive-scheme")) {
    return header.startsWith("Bearer ") ? header.slice("Bearer ".length) : null;
  }
  const match = /^\s*bearer +(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}

function authenticate(config) {
  return (request, response, next) => {
    const token = bearerToken(request, config.defects);
    if (!token) {
      throw new ApiError(401, "invalid_token", "Missing bearer token in the Authorization header.");
    }
    if (config.forbidden.has(token)) {
      throw new ApiError(403, "permission_denied", "This token may not create API keys.");
    }
    if (!config.tokens.has(token)) {
      throw new ApiError(401, "invalid_token", "The access token is invalid or expired.");
    }
    next();
  };
}

function jsonParser(defects) {
  const type = defects.has("plus-json") ? ["application/json", "application/*+json"] : "application/json";
  const strictUtf8 = (request, response, buffer) => UTF8.decode(buffer);
  return express.json({
    type,
    limit: "8mb",
    strict: false,
    verify: defects.has("replace-invalid-utf8") ? undefined : strictUtf8,
  });
}

function validName(body, defects) {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new ApiError(400, "invalid_request", "The body must be a JSON object.");
  }
  const name = body.name;
  if (typeof name !== "string") {
    throw new ApiError(400, "invalid_request", "name is required and must be a string.");
  }
  const length = [...name].length;
  if (length < 1 || length > MAX_LENGTH || !NOT_BLANK.test(name)) {
    throw new ApiError(400, "invalid_request", `name must be 1 to ${MAX_LENGTH} characters, not blank.`);
  }
  return defects.has("normalize-nfc") ? name.normalize("NFC") : name;
}

function createApp(config) {
  const app = express();
  app.use((request, response, next) => {
    response.set("X-Request-Id", crypto.randomUUID());
    next();
  });
  app.post("/api-keys", authenticate(config), jsonParser(config.defects), (request, response) => {
    if (request.body === undefined) {
      // express.json() leaves the body alone when the Content-Type is not its type.
      throw new ApiError(400, "unsupported_media_type", "Content-Type must be application/json.");
    }
    const name = validName(request.body, config.defects);
    response.status(201).json({
      name,
      clientId: crypto.randomUUID(),
      clientSecret: crypto.randomBytes(32).toString("base64url"),
    });
  });
  app.use((request, response) => {
    response.status(404).json({ code: "not_found", message: "No such resource." });
  });
  app.use((error, request, response, next) => {
    if (error instanceof ApiError) {
      response.status(error.status).json({ code: error.code, message: error.message });
    } else if (error.type === "entity.too.large") {
      response.status(400).json({ code: "body_too_large", message: "The request body is too large." });
    } else if (error.status === 400 || error.type === "entity.verify.failed") {
      // body-parser's SyntaxError, and the verify hook's invalid UTF-8 (its 403 by default).
      response.status(400).json({ code: "malformed_json", message: "Request body is not valid UTF-8 JSON." });
    } else if (error.status === 415) {
      response.status(400).json({ code: "unsupported_media_type", message: error.message });
    } else {
      response.status(500).json({ code: "internal_error", message: "Something went wrong." });
    }
  });
  return app;
}

function serve(config) {
  const server = createApp(config).listen(config.port, "127.0.0.1", () => {
    console.log(`listening on http://127.0.0.1:${server.address().port}`);
  });
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => process.exit(0));
  }
  return server;
}

serve(options(process.argv.slice(2), DEFECTS));
