import { defineConfig } from 'vite';
import { extensions, classicEmberSupport, ember } from '@embroider/vite';
import { babel } from '@rollup/plugin-babel';
import { loadTranslations } from '@ember-intl/vite';
import purgeCss from '@fullhuman/postcss-purgecss';

export default defineConfig({
  plugins: [
    classicEmberSupport(),
    ember(),
    babel({
      babelHelpers: 'runtime',
      extensions,
    }),
    loadTranslations(),
  ],
  // Named imports from the translation files (utils/translations-core-*.ts), so the first page's
  // language chunk carries only the texts it needs; stringified JSON would have no named exports.
  json: { stringify: false },
  css: {
    postcss: {
      // Ship only the Bootstrap rules the templates use (227 kB -> a fraction). Class names that
      // templates build from parts (`btn-{{variant}}`) are kept by prefix.
      plugins: [
        purgeCss({
          content: ['./index.html', './app/**/*.{gts,gjs,ts,js,hbs}'],
          safelist: {
            standard: [/^btn-/, /^alert-/, /^text-bg-/, /^bg-/, 'show', 'fade', 'showing', 'collapsing'],
          },
        }),
      ],
    },
  },
});
