/* Helpr guest pages: the owner's branding (accent colour, logo, welcome line) from /api/config, and the guest's
   identity remembered for this tab (after an invite or a status check) so /start and /status know who they are.
   The accent goes in a CSS custom property set from this file (CSSOM, which the CSP's style-src 'self' allows);
   the colour was contrast-checked when the owner saved it. Load it after common.js. */
(function () {
  'use strict';

  var H = window.Helpr;
  var HEX = /^#[0-9a-f]{6}$/;
  var LOGO_PATH = '/api/branding/logo';
  var IDENTITY_KEY = 'helpr.guest';

  function applyBranding(config) {
    var branding = H.isPlainObject(config) && H.isPlainObject(config.branding) ? config.branding : null;
    if (!branding) {
      return;
    }
    var root = document.documentElement;
    if (typeof branding.accent === 'string' && HEX.test(branding.accent)) {
      root.style.setProperty('--brand-accent', branding.accent);
      root.classList.add('branded');
    }
    // Only the portal's own logo address: the CSP loads images from this origin anyway.
    if (typeof branding.logoUrl === 'string' && branding.logoUrl.indexOf(LOGO_PATH + '?') === 0) {
      Array.prototype.forEach.call(document.querySelectorAll('img.logo'), function (img) {
        img.src = branding.logoUrl;
      });
    }
    var welcome = document.getElementById('welcome');
    var line = H.asText(branding.welcome);
    if (welcome && line) {
      welcome.textContent = line;
      welcome.hidden = false;
    }
  }

  // For pages that don't load the config themselves: fetches it and applies the branding; resolves to the config or null.
  function loadBranding(headers) {
    return H.requestJson('/api/config', { headers: headers || { Accept: 'application/json' }, cache: 'no-store' }, 10000)
      .then(function (result) {
        if (!result.ok) {
          return null;
        }
        applyBranding(result.body);
        return result.body;
      });
  }

  function loadIdentity() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(IDENTITY_KEY) || 'null');
      if (H.isPlainObject(saved) && typeof saved.identifier === 'string' && typeof saved.inviteCode === 'string') {
        return { identifier: saved.identifier, inviteCode: saved.inviteCode };
      }
    } catch (e) { /* nothing saved, or storage is off */ }
    return null;
  }

  function saveIdentity(identifier, inviteCode) {
    try {
      if (identifier && inviteCode) {
        window.sessionStorage.setItem(IDENTITY_KEY, JSON.stringify({ identifier: identifier, inviteCode: inviteCode }));
      }
    } catch (e) { /* private mode: the guest types it again */ }
  }

  H.applyBranding = applyBranding;
  H.loadBranding = loadBranding;
  H.guestIdentity = { load: loadIdentity, save: saveIdentity };
}());
