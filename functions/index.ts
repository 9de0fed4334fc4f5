/**
 * callwake's deployed functions. This file only names them; each lives in its
 * own module.
 */
export { api } from './http/onApiRequest';
