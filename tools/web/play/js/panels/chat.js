// The chat panel: a line input that sends Chat and the log of ChatHeard lines.

/** Sends the typed line on Enter and shows the lines heard. */
export class ChatPanel {
  constructor(root, session, orders) {
    this.session = session;
    this.log = root.querySelector('#chat-log');
    this.input = root.querySelector('#chat-input');
    this.shown = 0;
    root.querySelector('#chat-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const text = this.input.value.trim();
      if (text) orders.chat(text);
      this.input.value = '';
    });
    session.subscribe((what) => {
      if (what === 'ChatHeard' || what === 'Welcome') this.render();
    });
  }

  render() {
    this.log.replaceChildren();
    for (const line of this.session.chat) {
      const el = document.createElement('div');
      el.className = 'chat-line';
      const name = document.createElement('b');
      name.textContent = `${line.name}: `;
      el.append(name, line.text);
      this.log.append(el);
    }
    this.log.scrollTop = this.log.scrollHeight;
  }
}
