// lit-html 3.3.3's types, for tsc (written by devtools/vendor.mjs).
export * from '../../../devtools/node_modules/lit-html/lit-html.js';
