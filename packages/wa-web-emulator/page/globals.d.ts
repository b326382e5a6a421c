/** What the emulated page puts on `window` for whatsapp-web.js. */
export {};

declare global {
  interface Window {
    require: (name: string) => unknown;
    Debug: { VERSION: string };
  }
}
