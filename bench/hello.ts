/**
 * The cold-start baseline: the smallest HTTPS function, built like the real ones
 * (bench/tsconfig.json compiles it to lib/bench/hello.js).
 */
import { onRequest } from 'firebase-functions/v2/https';

export const hello = onRequest((_req, res) => {
  res.send('hello');
});
