/**
 * Media on its way out, written to a spool file before anything is sent: an upload, a base64 body or a fetched
 * URL becomes one file under the supervisor's spool directory, so the supervisor never holds a whole file in
 * memory and the worker reads it from disk. Whoever holds a SpooledMedia owns its file: it either moves it into
 * the media store (the message was sent) or removes it (anything else), so nothing is left on disk.
 */
export interface SpooledMedia {
  /** Absolute path of the spool file. */
  path: string;
  size: number;
  /** Hex sha256 of the bytes, computed while they were written. */
  sha256: string;
  /** Verified against the bytes where they can tell (see the intake's sniffing rules). */
  mimetype: string;
  filename: string | null;
}
