import type uPlot from 'uplot';

declare global {
  interface Window {
    /** uPlot's browser build, loaded by the admin page from /assets/uplot.js. */
    uPlot?: typeof uPlot;
  }
}
