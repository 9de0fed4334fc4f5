/** How long a listener stays open after its owner is done with it. */
export const LISTENER_CLOSE_DELAY_MS = 250;

/**
 * Stops a Firestore listener a moment after its owner is done with it, not at once. The
 * Firestore emulator sends each listen stream a commit's change and then a "synced" message from
 * inside the commit itself (FirestoreEmulatorHelper.commitHelper → ListenStreamManager.
 * notifyListeners → CloudFirestoreV1ListenStream.notifySynced): a stream its client closed
 * between the two makes that commit throw after its write was applied, and the write's function
 * triggers are never published ("Stream is already completed" in firestore-debug.log). A
 * listener closed as soon as it sees a commit is that client: seen losing the onCallWritten
 * event of an answer settled while a long-poll and the answer trigger watched the call, and so
 * the other phones' cancel pushes. Open a moment longer, it costs nothing.
 */
export function closeSoon(unsubscribe: () => void): void {
  setTimeout(unsubscribe, LISTENER_CLOSE_DELAY_MS).unref();
}
