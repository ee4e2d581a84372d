/* Helpr Start watching page: steps per device (the guest's own first, with its app store), how to accept the
   invite while it is pending, and the owner's cards. The HTML in the API's answer was rendered in a sandbox and
   sanitised by the server (shared/guest/onboarding.py); here it only goes into the page. */
(function () {
  'use strict';

  var H = window.Helpr;
  var I18N = H.i18n;

  function platform() {
    var ua = navigator.userAgent || '';
    if (/iPhone|iPad|iPod/.test(ua)) { return { device: 'phone', platform: 'ios' }; }
    if (/Android/.test(ua)) { return { device: 'phone', platform: 'android' }; }
    if (/PlayStation|Xbox/.test(ua)) { return { device: 'console', platform: 'any' }; }
    if (/SMART-TV|SmartTV|Tizen|Web0S|AFT/.test(ua)) { return { device: 'tv', platform: 'any' }; }
    return { device: 'computer', platform: 'desktop' };
  }

  function appLinks(apps, preferred) {
    var list = H.element('ul', 'app-links');
    var sorted = apps.slice().sort(function (a, b) {
      return (b.platform === preferred ? 1 : 0) - (a.platform === preferred ? 1 : 0);
    });
    sorted.forEach(function (app) {
      var item = H.element('li');
      var link = H.element('a', app.platform === preferred ? 'button' : '', I18N.t('getApp') + ': ' + app.name);
      link.href = app.url;
      link.rel = 'noopener noreferrer';
      item.appendChild(link);
      list.appendChild(item);
    });
    return list;
  }

  function stepSection(step, preferred, open) {
    var box = H.element('details', 'onboarding-step');
    box.open = open;
    box.appendChild(H.element('summary', '', step.title));
    var body = H.element('div', 'onboarding-body');
    body.innerHTML = step.html;  // sanitised server-side (nh3)
    box.appendChild(body);
    box.appendChild(appLinks(step.apps || [], preferred));
    return box;
  }

  function card(item) {
    var section = H.element('section', 'onboarding-card');
    section.appendChild(H.element('h2', '', item.title));
    if (item.html) {
      var body = H.element('div', 'onboarding-body');
      body.innerHTML = item.html;  // sanitised server-side (nh3)
      section.appendChild(body);
    }
    if (item.url) {
      var link = H.element('a', 'button', I18N.t('open'));
      link.href = item.url;
      link.rel = 'noopener noreferrer';
      section.appendChild(link);
    }
    return section;
  }

  function render(page) {
    var mine = platform();
    var accepted = new URLSearchParams(window.location.search).get('accepted') === '1';
    document.getElementById('start-title').textContent = I18N.t('startTitle', { server: page.serverName });
    document.title = I18N.t('startTitle', { server: page.serverName }) + ' · Helpr';
    var accept = document.getElementById('accept-section');
    accept.hidden = accepted;
    document.getElementById('accept-title').textContent = page.accept.title;
    document.getElementById('accept-body').innerHTML = page.accept.html;  // sanitised server-side (nh3)
    var own = document.getElementById('own-device');
    var others = document.getElementById('other-devices');
    page.steps.forEach(function (step) {
      if (step.device === mine.device) {
        own.appendChild(stepSection(step, mine.platform, true));
      } else {
        others.appendChild(stepSection(step, mine.platform, false));
      }
    });
    var cards = document.getElementById('cards');
    page.cards.forEach(function (item) { cards.appendChild(card(item)); });
  }

  // A guest the portal knows (remembered after their invite or status check) gets the page with their own libraries,
  // tier and end date filled in; anyone else gets the general page.
  function loadForGuest() {
    var identity = H.guestIdentity.load();
    if (!identity) {
      return Promise.resolve(false);
    }
    return H.requestJson('/api/guest/status', {
      method: 'POST',
      headers: I18N.headers({ 'Content-Type': 'application/json', Accept: 'application/json' }),
      body: JSON.stringify(identity),
      cache: 'no-store'
    }, 20000).then(function (result) {
      if (!result.ok || !H.isPlainObject(result.body.onboarding)) {
        return false;
      }
      document.getElementById('start-status').textContent = '';
      render(result.body.onboarding);
      if (result.body.status === 'accepted') {
        document.getElementById('accept-section').hidden = true;
      }
      return true;
    });
  }

  function init() {
    var status = document.getElementById('start-status');
    status.textContent = I18N.t('loadingConfig');
    H.loadBranding(I18N.headers({ Accept: 'application/json' }));
    loadForGuest().then(function (done) {
      if (!done) {
        loadGeneral(status);
      }
    });
  }

  function loadGeneral(status) {
    H.fetchWithTimeout('/api/onboarding', { headers: I18N.headers({ Accept: 'application/json' }), cache: 'no-store' }, 10000)
      .then(function (response) {
        return H.readJson(response).then(function (body) {
          var error = H.errorObject(body);
          if (!response.ok || error || !H.isPlainObject(body)) {
            status.textContent = error ? H.cleanMessage(error.message) : I18N.t('serverProblem');
            return;
          }
          status.textContent = '';
          render(body);
        });
      }).catch(function () {
        status.textContent = I18N.t('network');
      });
  }

  I18N.ready.then(init);
}());
