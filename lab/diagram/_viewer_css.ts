/**
 * The viewer's stylesheet, inlined into the HTML page.
 * @module
 */

/** CSS of the diagram page. */
export const VIEWER_CSS: string = `
*{box-sizing:border-box}
html,body{margin:0;height:100%;font:13px system-ui,sans-serif;color:#1a202c;background:#fff}
.dg{display:grid;grid-template-columns:1fr 340px;grid-template-rows:auto auto auto auto 1fr;
  height:100vh}
.dg-head{grid-column:1/3;padding:8px 12px 0}
.dg-head h1{font-size:16px;margin:0}
.dg-sub{margin:2px 0 0;color:#4a5568}
.dg-bar,.dg-chips,.dg-replay{grid-column:1/3;display:flex;flex-wrap:wrap;gap:6px;align-items:center;
  padding:4px 12px}
.dg-chips{color:#4a5568;max-height:64px;overflow:auto}
.dg button{font:inherit;border:1px solid #cbd5e0;background:#f7fafc;border-radius:4px;
  padding:2px 8px;cursor:pointer}
.dg button:hover{background:#edf2f7}
.dg-chip.off{opacity:.4;text-decoration:line-through}
.dg-filter{font:inherit;padding:2px 6px;border:1px solid #cbd5e0;border-radius:4px}
.dg-slider{flex:1;min-width:200px}
.dg-now{min-width:90px;color:#4a5568}
.dg-main{position:relative;overflow:hidden;border-top:1px solid #e2e8f0;min-height:300px}
.dg-main canvas{display:block;cursor:crosshair}
.dg-tip{position:absolute;display:none;max-width:370px;background:#1a202c;color:#fff;
  padding:6px 8px;border-radius:4px;font-size:12px;line-height:1.4;pointer-events:none;
  word-break:break-all}
.dg-tip .bad,.dg-details .bad{color:#fc8181}
.dg-tip .dim{color:#a0aec0}
.dg-details{border-top:1px solid #e2e8f0;border-left:1px solid #e2e8f0;padding:8px 10px;
  overflow:auto;font-size:12px;line-height:1.45;word-break:break-all;color:#2d3748}
.dg-details .dim{color:#718096}
`;
