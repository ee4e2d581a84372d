/* Helpr guest pages: the page's language. Picks the saved choice, else the browser's languages, loads
   /i18n/<locale>.json (made from the gettext catalogs by devtools/i18n.py), fills every [data-i18n] element,
   adds the language picker, and exposes Helpr.i18n (t, locale, ready). Load it after common.js. */
(function () {
  'use strict';

  var H = window.Helpr = window.Helpr || {};
  var LOCALES = ['en', 'de', 'fr', 'es', 'nl', 'it', 'pt-BR'];
  var STORAGE_KEY = 'helpr.language';
  var state = { locale: 'en', text: {}, names: {}, dir: 'ltr' };

  function savedChoice() {
    try {
      var value = window.localStorage.getItem(STORAGE_KEY);
      return LOCALES.indexOf(value) !== -1 ? value : '';
    } catch (e) {
      return '';
    }
  }

  function save(locale) {
    try {
      window.localStorage.setItem(STORAGE_KEY, locale);
    } catch (e) { /* private mode: the choice lasts for this page only */ }
  }

  // Mirrors shared/i18n.negotiate: an exact tag first, then its language (de-AT → de, pt → pt-BR).
  function negotiate(tags) {
    var lower = LOCALES.map(function (l) { return l.toLowerCase(); });
    for (var i = 0; i < tags.length; i += 1) {
      var tag = String(tags[i] || '').toLowerCase();
      var exact = lower.indexOf(tag);
      if (exact !== -1) {
        return LOCALES[exact];
      }
      var language = tag.split('-')[0];
      for (var j = 0; j < lower.length; j += 1) {
        if (lower[j].split('-')[0] === language) {
          return LOCALES[j];
        }
      }
    }
    return 'en';
  }

  function fill(text, values) {
    return String(text).replace(/\{(\w+)\}/g, function (whole, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function t(key, values) {
    var text = Object.prototype.hasOwnProperty.call(state.text, key) ? state.text[key] : key;
    return fill(text, values);
  }

  // Text with one placeholder that becomes an element (a link, a name in a span): the text around it is translated.
  function fillWithNode(target, key, name, node) {
    var parts = t(key).split('{' + name + '}');
    target.textContent = '';
    target.appendChild(document.createTextNode(parts[0]));
    if (parts.length > 1) {
      target.appendChild(node);
      target.appendChild(document.createTextNode(parts.slice(1).join('')));
    }
  }

  function applyToPage() {
    document.documentElement.lang = state.locale;
    document.documentElement.dir = state.dir;
    Array.prototype.forEach.call(document.querySelectorAll('[data-i18n]'), function (el) {
      el.textContent = t(el.getAttribute('data-i18n'));
    });
  }

  function buildPicker() {
    var holder = document.getElementById('language-picker');
    if (!holder) {
      return;
    }
    holder.textContent = '';
    var label = document.createElement('label');
    label.setAttribute('for', 'language');
    label.textContent = t('language');
    var select = document.createElement('select');
    select.id = 'language';
    select.name = 'language';
    LOCALES.forEach(function (locale) {
      var option = document.createElement('option');
      option.value = locale;
      option.lang = locale;
      option.textContent = state.names[locale] || locale;
      option.selected = locale === state.locale;
      select.appendChild(option);
    });
    select.addEventListener('change', function () {
      save(select.value);
      window.location.reload();
    });
    holder.appendChild(label);
    holder.appendChild(select);
  }

  function load(locale) {
    return window.fetch('/i18n/' + locale + '.json', { cache: 'no-cache' }).then(function (response) {
      if (!response.ok) {
        throw new Error('no catalog');
      }
      return response.json();
    }).then(function (doc) {
      state.locale = locale;
      state.text = doc && doc.text ? doc.text : {};
      state.names = doc && doc.locales ? doc.locales : {};
      state.dir = doc && doc.dir === 'rtl' ? 'rtl' : 'ltr';
    });
  }

  var chosen = savedChoice() || negotiate(navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language]);

  H.i18n = {
    t: t,
    fillWithNode: fillWithNode,
    locale: function () { return state.locale; },
    // Sent with every API call, so messages come back in the page's language.
    headers: function (extra) { return Object.assign({ 'Accept-Language': state.locale }, extra || {}); },
    formatDate: function (date) {
      try {
        return new Intl.DateTimeFormat(state.locale, { dateStyle: 'long' }).format(date);
      } catch (e) {
        return date.toDateString();
      }
    },
    ready: load(chosen).catch(function () {
      return chosen === 'en' ? null : load('en');
    }).catch(function () { return null; }).then(function () {
      var apply = function () {
        applyToPage();
        buildPicker();
      };
      if (document.readyState === 'loading') {
        return new Promise(function (resolve) {
          document.addEventListener('DOMContentLoaded', function () { apply(); resolve(); });
        });
      }
      apply();
      return null;
    })
  };
}());
