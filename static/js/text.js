// The page's words and numbers in the page's language (<html lang>). The words come from
// the server, translated there, as JSON in a data-strings attribute (no inline script: the
// CSP forbids it); a sentence with a number comes in every plural form the language has,
// named as Intl.PluralRules names them. Numbers, percentages and times are formatted by Intl.
window.ConsultText = (function () {
  "use strict";

  const locale = document.documentElement.lang || "en";
  // Western digits, as the server writes them (Babel's default), so that a number the
  // script updates looks like the one the page came with, in Arabic too.
  const digits = { numberingSystem: "latn" };
  const numberFormat = new Intl.NumberFormat(locale, digits);
  const percentFormat = new Intl.NumberFormat(locale, Object.assign({ style: "percent" }, digits));
  const timeFormat = new Intl.DateTimeFormat(locale, Object.assign({ timeStyle: "medium" }, digits));
  const pluralRules = new Intl.PluralRules(locale);

  function strings(id) {
    const holder = document.getElementById(id);
    return holder ? JSON.parse(holder.dataset.strings) : {};
  }

  function show(value) {
    if (value === undefined || value === null) return "";
    return typeof value === "number" ? numberFormat.format(value) : String(value);
  }

  // "{name}" in a translated sentence is replaced by values.name (numbers formatted).
  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, (_, key) => show((values || {})[key]));
  }

  // forms: {one: "{n} person", other: "{n} people", ...}; n is also the sentence's {n}.
  function plural(forms, n, values) {
    const template = forms[pluralRules.select(n)] || forms.other;
    return format(template, Object.assign({ n: n }, values));
  }

  return {
    locale: locale,
    strings: strings,
    format: format,
    plural: plural,
    number: show,
    percent: (share) => percentFormat.format(share || 0),
    time: (moment) => timeFormat.format(moment),
  };
})();
