/** What a person (or a screenshot) sees on the emulated page: its client id, the state, the QR text, the account. */
export interface ViewState {
  /** The id the emulator's log and control API name this page by. */
  clientId: string | null;
  state: string;
  qr: string | null;
  wid: string | null;
  note?: string;
}

export function render(view: ViewState): void {
  const element = document.getElementById('emulator-status');
  if (element === null) return;
  element.textContent = [
    'WhatsApp Web emulator',
    view.clientId === null ? null : `client: ${view.clientId}`,
    `state: ${view.state}`,
    view.wid === null ? null : `account: ${view.wid}`,
    view.qr === null ? null : `qr: ${view.qr}`,
    view.note ?? null,
  ]
    .filter((line) => line !== null)
    .join('\n');
}
