// Passkeys (WebAuthn) for Bo Kvar: the browser half of bokvar/passkey_views.py.
// A button with data-passkey="sign-in" or data-passkey="register" starts a ceremony:
// the server's options (JSON, binary values in base64url) go to navigator.credentials,
// and the answer goes back as JSON. No inline script: the CSP forbids it.
(function () {
  "use strict";

  function toBytes(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error("refused"); }
        return data;
      });
    });
  }

  function credentialJSON(credential) {
    var r = credential.response;
    var response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) { response.attestationObject = toText(r.attestationObject); }
    if (r.authenticatorData) { response.authenticatorData = toText(r.authenticatorData); }
    if (r.signature) { response.signature = toText(r.signature); }
    if (r.userHandle) { response.userHandle = toText(r.userHandle); }
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: response,
      clientExtensionResults: {}
    };
  }

  function register(button) {
    return post(button.dataset.options).then(function (options) {
      var o = options.publicKey;
      o.challenge = toBytes(o.challenge);
      o.user.id = toBytes(o.user.id);
      (o.excludeCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
      return navigator.credentials.create({ publicKey: o });
    }).then(function (credential) {
      var body = credentialJSON(credential);
      var name = document.getElementById("passkey-name");
      body.name = name ? name.value : "";
      return post(button.dataset.url, body);
    }).then(function () { window.location.reload(); });
  }

  function signIn(button) {
    return post(button.dataset.options).then(function (options) {
      var o = options.publicKey;
      o.challenge = toBytes(o.challenge);
      (o.allowCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
      return navigator.credentials.get({ publicKey: o });
    }).then(function (credential) {
      var body = credentialJSON(credential);
      body.next = button.dataset.next || "";
      return post(button.dataset.url + "?next=" + encodeURIComponent(body.next), body);
    }).then(function (data) { window.location.assign(data.next); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("[data-passkey]");
    Array.prototype.forEach.call(buttons, function (button) {
      if (!window.PublicKeyCredential) { button.hidden = true; return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        var status = document.getElementById("passkey-status");
        var action = button.dataset.passkey === "register" ? register : signIn;
        action(button).catch(function () {
          if (status) { status.hidden = false; }
        });
      });
    });
  });
})();
