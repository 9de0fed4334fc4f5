// The Firebase project the emulators run for the local stack, the tests, the bench and the SIP
// runs. A `demo-` id: the emulators never reach a real project with it.
export const PROJECT_ID = 'demo-callwake';
