// The visit form's evidence (templates/service/visit_form.html).
//
// Location check-in: asked each time and never on its own. "Check in my location" first shows why the
// position is asked (the purpose, as the personal information law requires); only "Share my location" then
// asks the browser, once, for a fresh fix. The fix fills the form's hidden fields (latitude, longitude,
// accuracy in metres, the fix's time in ms), which the server checks again. Browsers give a location only
// to a secure context (HTTPS, or http://localhost): elsewhere, or when refused, the page says so plainly.
//
// Photos: a camera input takes one picture at a time on most phones, so once a photo is chosen an empty
// input like it is added after it ("take another"); every input posts under the same name.
(() => {
  "use strict";

  const box = document.querySelector("[data-checkin]");
  if (box) {
    const field = (name) => box.querySelector(`input[name="checkin_${name}"]`);
    const [latitude, longitude, accuracy, at] = ["latitude", "longitude", "accuracy", "at"].map(field);
    const part = (name) => box.querySelector(`[data-checkin-${name}]`);
    const start = part("start");
    const purpose = part("purpose");
    const share = part("share");
    const status = part("status");
    const clear = part("clear");
    const say = (key, values = {}) => {
      let text = box.dataset[key] || "";
      for (const [name, value] of Object.entries(values)) text = text.replace(`{${name}}`, value);
      status.textContent = text;
    };
    const empty = () => {
      for (const input of [latitude, longitude, accuracy, at]) input.value = "";
      clear.hidden = true;
    };

    start.addEventListener("click", () => {
      purpose.hidden = false;
      start.hidden = true;
      status.textContent = "";
      share.focus();
    });
    part("cancel").addEventListener("click", () => {
      purpose.hidden = true;
      start.hidden = false;
      start.focus();
    });
    share.addEventListener("click", () => {
      purpose.hidden = true;
      start.hidden = false;
      if (!window.isSecureContext) return say("msgInsecure");
      if (!("geolocation" in navigator)) return say("msgUnsupported");
      say("msgLocating");
      share.disabled = start.disabled = true;
      navigator.geolocation.getCurrentPosition(
        (position) => {
          share.disabled = start.disabled = false;
          const c = position.coords;
          latitude.value = c.latitude.toFixed(6);
          longitude.value = c.longitude.toFixed(6);
          accuracy.value = String(Math.max(1, Math.ceil(c.accuracy)));
          at.value = String(Math.round(position.timestamp || Date.now()));
          const time = new Date(Number(at.value)).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
          say("msgDone", { time, accuracy: accuracy.value });
          clear.hidden = false;
        },
        (error) => {
          share.disabled = start.disabled = false;
          empty();
          const key = { 1: "msgDenied", 2: "msgUnavailable", 3: "msgTimeout" }[error.code] || "msgUnavailable";
          say(key);
        },
        { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 },
      );
    });
    clear.addEventListener("click", () => {
      empty();
      status.textContent = "";
      start.focus();
    });
    if (latitude.value && accuracy.value) {
      // the form came back (an error elsewhere): the check-in taken before is still in it
      say("msgKept", { accuracy: accuracy.value });
      clear.hidden = false;
    }
  }

  const photos = document.querySelector("[data-photo-inputs]");
  if (photos) {
    let added = 0;
    photos.addEventListener("change", (event) => {
      const input = event.target;
      if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.files.length) return;
      const inputs = photos.querySelectorAll('input[type="file"]');
      if (Array.from(inputs).some((other) => !other.files.length)) return; // an empty one is still there
      const more = input.cloneNode(false);
      more.value = "";
      more.id = `${inputs[0].id}_${++added}`;
      more.setAttribute("aria-label", inputs[0].labels[0] ? inputs[0].labels[0].textContent : "");
      inputs[inputs.length - 1].after(more);
    });
  }
})();
