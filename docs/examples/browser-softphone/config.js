// Where this softphone finds callwake and Firebase Auth. Edit for your deployment.
window.CALLWAKE_CONFIG = {
  // callwake's API base URL: https://<region>-<project>.cloudfunctions.net/api
  api: 'https://us-central1-YOUR-PROJECT.cloudfunctions.net/api',
  // The Firebase project's Web API key (Project settings → General).
  firebaseApiKey: 'YOUR-WEB-API-KEY',
  // Firebase Auth's REST origin; the Auth emulator's is http://127.0.0.1:9099/identitytoolkit.googleapis.com
  authOrigin: 'https://identitytoolkit.googleapis.com',
  tokenOrigin: 'https://securetoken.googleapis.com',
};
