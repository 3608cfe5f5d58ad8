// The status panels: health, hunger and stamina bars and experience (Stats), and the message area where every Error shows its text and code name.

/** Keeps the vitals bars and the message area in step with the session. */
export class StatusPanel {
  constructor(root, session) {
    this.session = session;
    this.health = root.querySelector('#health');
    this.hunger = root.querySelector('#hunger');
    this.stamina = root.querySelector('#stamina');
    this.xp = root.querySelector('#experience');
    this.errors = root.querySelector('#errors');
    this.notices = root.querySelector('#notices');
    session.subscribe((what) => {
      if (what === 'Stats') this.stats();
      if (what === 'Error' || what === 'Welcome') this.messages();
    });
  }

  stats() {
    const s = this.session.stats;
    bar(this.health, s.health, s.max_health);
    bar(this.hunger, s.hunger, s.hunger_limit);
    bar(this.stamina, s.stamina, s.max_stamina);
    this.xp.textContent = `combat ${s.xp_combat} · crafting ${s.xp_crafting} · gathering ${s.xp_gathering}`;
  }

  messages() {
    this.errors.replaceChildren();
    for (const e of this.session.errors.slice(-8)) {
      const el = document.createElement('div');
      el.className = 'error';
      el.dataset.code = String(e.code);
      el.textContent = e.code ? `${e.name} (${e.code}): ${e.text}` : e.text;
      this.errors.append(el);
    }
  }

  /** A passing hint from the page (not from the server). */
  notice(text) {
    this.notices.textContent = text;
  }
}

function bar(el, value, max) {
  el.max = Math.max(1, max);
  el.value = value;
  el.title = `${value} / ${max}`;
  el.nextElementSibling.textContent = `${value}/${max}`;
}
