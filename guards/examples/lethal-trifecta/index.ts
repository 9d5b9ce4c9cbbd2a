// lethal-trifecta: private data + untrusted input + a way out is how an agent gets turned against its user.
// This guard tracks the middle leg and cuts the last one:
//   response phase: a result from one of config.untrusted_backends labels the session untrusted-input;
//   request phase:  once the session carries that label, calls to config.egress_tools are denied.
// Egress tools are named either "tool" (any backend) or "backend/tool".
import { describe, handle, Envelope, Decision, allow, deny } from "../../sdk";

const UNTRUSTED = "untrusted-input";

const SCHEMA = `{
  "type": "object",
  "properties": {
    "untrusted_backends": { "type": "array", "items": { "type": "string" } },
    "egress_tools": { "type": "array", "items": { "type": "string" } }
  },
  "additionalProperties": false
}`;

export function guard_describe(): i32 {
  return describe("lethal-trifecta", "1.0.0", ["request", "response"], SCHEMA);
}

export function guard_response(): i32 {
  return handle(onResponse);
}

export function guard_request(): i32 {
  return handle(onRequest);
}

function onResponse(env: Envelope): Decision {
  const backend = env.backend;
  if (backend !== null && env.configStrings("untrusted_backends").includes(backend)) return allow().label(UNTRUSTED);
  return allow();
}

function onRequest(env: Envelope): Decision {
  const tool = env.tool;
  if (tool === null || !env.hasLabel(UNTRUSTED)) return allow();
  const egress = env.configStrings("egress_tools");
  const backend = env.backend;
  const qualified = backend !== null ? backend + "/" + tool : "";
  if (egress.includes(tool) || (backend !== null && egress.includes(qualified))) {
    const name = backend !== null ? qualified : tool;
    return deny("lethal_trifecta", "the session has read untrusted input, so " + name + " (which can send data out) is blocked");
  }
  return allow();
}
