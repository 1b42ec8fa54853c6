// Sign-in for a workspace served off loopback: with Microsoft Entra ID
// (OPSS_WORKSPACE_SIGN_IN=oidc, a link to the server's /auth/sign-in) or with a secret
// (OPSS_WORKSPACE_SIGN_IN=password). The session lives in an HttpOnly cookie; this page never
// sees or stores it.
"use strict";

window.opssSignIn = function opssSignIn(message) {
  let dlg = document.getElementById("sign-in");
  if (!dlg && window.opssMode === "oidc") {
    dlg = document.createElement("dialog");
    dlg.id = "sign-in";
    dlg.innerHTML = `
      <div style="display:grid;gap:0.6em;min-width:18em">
        <h2>Sign in to the OPSS incident bot</h2>
        <p class="sign-in-error" role="alert" style="color:#a4262c;margin:0"></p>
        <a id="sign-in-entra" href="/auth/sign-in" style="font-weight:600">Sign in with Microsoft</a>
      </div>`;
    document.body.appendChild(dlg);
    dlg.addEventListener("cancel", (ev) => ev.preventDefault()); // no way round it
  }
  if (!dlg) {
    dlg = document.createElement("dialog");
    dlg.id = "sign-in";
    dlg.innerHTML = `
      <form method="dialog" id="sign-in-form" style="display:grid;gap:0.6em;min-width:18em">
        <h2>Sign in to the OPSS incident bot</h2>
        <p class="sign-in-error" role="alert" style="color:#a4262c;margin:0"></p>
        <label style="display:grid">User name <input name="name" autocomplete="username" required></label>
        <label style="display:grid">Secret <input name="secret" type="password" autocomplete="current-password" required></label>
        <button type="submit">Sign in</button>
      </form>`;
    document.body.appendChild(dlg);
    dlg.addEventListener("cancel", (ev) => ev.preventDefault()); // no way round it
    dlg.querySelector("form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const form = ev.target;
      const res = await fetch("/api/sign-in", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-OPSS-Local": "1" },
        body: JSON.stringify({ name: form.name.value.trim().toLowerCase(), secret: form.secret.value }),
      });
      form.secret.value = "";
      if (res.ok) {
        dlg.close();
        location.reload();
      } else {
        dlg.querySelector(".sign-in-error").textContent = await res.text();
      }
    });
  }
  // The page polls: a dialog already open keeps what it says (e.g. a refused secret).
  if (!dlg.open) {
    dlg.querySelector(".sign-in-error").textContent = message || "";
    dlg.showModal();
  }
};

window.opssSignOut = async function opssSignOut() {
  await fetch("/api/sign-out", { method: "POST", headers: { "X-OPSS-Local": "1" } });
  location.reload();
};

window.opssSignedIn = function opssSignedIn() {
  if (document.getElementById("sign-out")) return;
  const b = document.createElement("button");
  b.id = "sign-out";
  b.textContent = "Sign out";
  b.onclick = window.opssSignOut;
  document.getElementById("user").closest("label").after(b);
};
