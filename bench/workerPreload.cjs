// Loaded into every process of `npm run bench`'s cost session through NODE_OPTIONS (scripts/bench.mjs);
// acts only in a Functions emulator worker (FUNCTIONS_EMULATOR, set by firebase-tools for each
// worker: lib/emulator/functionsEmulator.js getSystemEnvs). It sends the worker's Firestore
// traffic through the counting proxy (bench/firestoreProxy.ts) and tags each HTTP/2 request with
// the function the worker serves (each worker serves one: FUNCTION_TARGET), so the proxy counts
// by function. grpc-js opens its sessions with `http2.connect("http://" + authority)`, looked up at
// call time (@grpc/grpc-js build/src/transport.js).
'use strict';
/* global process */
const proxy = process.env.CALLWAKE_BENCH_FIRESTORE_PROXY;
if (process.env.FUNCTIONS_EMULATOR === 'true' && proxy) {
  process.env.FIRESTORE_EMULATOR_HOST = proxy;
  const http2 = require('node:http2');
  const connect = http2.connect;
  const fn = process.env.FUNCTION_TARGET || 'unknown';
  http2.connect = function tagged(...args) {
    const session = connect.apply(this, args);
    // Only the sessions to the proxy: the APNs sender's own HTTP/2 requests stay as they are.
    if (!String(args[0]).includes(proxy)) return session;
    const request = session.request;
    session.request = function (headers, options) {
      return request.call(this, { ...headers, 'x-callwake-bench-function': fn }, options);
    };
    return session;
  };
}
