/**
 * `window.require`, WhatsApp Web's module loader as whatsapp-web.js uses it. A module the emulator lacks
 * gives `undefined`, which is what whatsapp-web.js's optional paths test for (`WAWebCallCollection`,
 * `WAWebMsgReply`, the functions it patches), and is reported once so the gap is visible.
 */
export function installRequire(modules: Record<string, unknown>, onMissing: (name: string) => void): void {
  const reported = new Set<string>();
  window.require = (name: string): unknown => {
    if (Object.hasOwn(modules, name)) return modules[name];
    if (!reported.has(name)) {
      reported.add(name);
      onMissing(name);
    }
    return undefined;
  };
}
