/** WhatsApp Web's `WALinkify`, reduced to plain http(s) and www links (whatsapp-web.js lists them on messages). */
export interface FoundLink {
  href: string;
  url: string;
  suspiciousCharacters: Set<string> | undefined;
}

const LINK = /\b(?:https?:\/\/|www\.)[^\s<>"']+/gi;

export function findLinks(text: unknown): FoundLink[] {
  if (typeof text !== 'string') return [];
  return [...text.matchAll(LINK)].map(([url]) => ({
    url,
    href: url.startsWith('www.') ? `http://${url}` : url,
    suspiciousCharacters: undefined,
  }));
}

export function findLink(text: unknown): FoundLink | null {
  return findLinks(text)[0] ?? null;
}
