// Draws the map as SVG: a circle per character, a curved arrow per relationship (from →
// to), coloured by type, wider and more opaque the stronger it is, dashed when hostile.
// Every element carries data- attributes (ids, type, strength) for scripts and tests.

const SVG = 'http://www.w3.org/2000/svg';

export const TYPE_COLORS = {
  FRIEND: '#2e7d32', ALLY: '#00838f', FAMILY: '#6a1b9a', ROMANCE: '#d81b60',
  MENTOR: '#1565c0', ACQUAINTANCE: '#8d8d8d', RIVAL: '#ef6c00', ENEMY: '#c62828',
};

function el(name, attrs = {}, parent) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  parent?.append(e);
  return e;
}

// edgeStyle is how a relationship looks: the colour of its type, and width and opacity
// growing with |strength|.
export function edgeStyle({ type, strength }) {
  const s = Math.abs(strength);
  return {
    stroke: TYPE_COLORS[type] ?? '#555',
    'stroke-width': (1 + 5 * s).toFixed(2),
    'stroke-opacity': (0.35 + 0.65 * s).toFixed(2),
    'stroke-dasharray': strength < 0 ? '6 4' : 'none',
  };
}

export class Drawing {
  constructor(svg, legend) {
    this.svg = svg;
    const defs = el('defs', {}, svg);
    // One arrowhead per type, in its colour; sized in pixels, not in stroke widths.
    for (const [type, color] of Object.entries(TYPE_COLORS)) {
      const m = el('marker', {
        id: `arrow-${type}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 9, markerHeight: 9,
        markerUnits: 'userSpaceOnUse', orient: 'auto',
      }, defs);
      el('path', { d: 'M0,0 L10,5 L0,10 z', fill: color }, m);
      legend.insertAdjacentHTML('beforeend', `<span style="--c:${color}">${type.toLowerCase()}</span>`);
    }
    this.edgeLayer = el('g', {}, svg);
    this.nodeLayer = el('g', {}, svg);
    this.edges = new Map(); // relationship id -> {path, label, title, edge}
    this.nodes = new Map(); // character id -> {g, circle, title, node}
  }

  get size() {
    const r = this.svg.getBoundingClientRect();
    return { width: r.width || 800, height: r.height || 600 };
  }

  setNode(node) {
    let n = this.nodes.get(node.id);
    if (!n) {
      const g = el('g', { class: 'node' }, this.nodeLayer);
      n = { g, circle: el('circle', {}, g), text: el('text', {}, g), title: el('title', {}, g) };
      this.nodes.set(node.id, n);
    }
    n.node = node;
    n.g.dataset.node = node.id;
    n.g.dataset.name = node.name;
    const r = 10 + 2 * Math.min(node.degree, 10);
    n.circle.setAttribute('r', r);
    n.text.setAttribute('y', r + 14);
    n.text.textContent = node.name;
    n.title.textContent = `${node.name}, feeling ${node.emotion}`;
  }

  removeNode(id) {
    this.nodes.get(id)?.g.remove();
    this.nodes.delete(id);
  }

  // setEdge draws or restyles a relationship; changed makes it flash.
  setEdge(edge, changed = false) {
    let e = this.edges.get(edge.id);
    if (!e) {
      const path = el('path', { class: 'edge' }, this.edgeLayer);
      e = { path, title: el('title', {}, path), label: el('text', { class: 'edge-label' }, this.edgeLayer) };
      this.edges.set(edge.id, e);
    }
    e.edge = edge;
    const from = this.nodes.get(edge.from)?.node.name, to = this.nodes.get(edge.to)?.node.name;
    Object.assign(e.path.dataset, { edge: edge.id, type: edge.type, strength: edge.strength, from, to });
    for (const [k, v] of Object.entries(edgeStyle(edge))) e.path.setAttribute(k, v);
    e.path.setAttribute('marker-end', `url(#arrow-${edge.type})`);
    const sign = edge.strength > 0 ? '+' : '';
    e.label.textContent = `${edge.label ?? edge.type.toLowerCase()} ${sign}${edge.strength.toFixed(2)}`;
    e.title.textContent = `${from} → ${to}: ${e.label.textContent}, trust ${edge.trust.toFixed(2)}`;
    if (changed) {
      // Restart the CSS animation.
      e.path.classList.remove('changed');
      void e.path.getBBox();
      e.path.classList.add('changed');
    }
  }

  removeEdge(id) {
    const e = this.edges.get(id);
    e?.path.remove();
    e?.label.remove();
    this.edges.delete(id);
  }

  // place moves everything to the layout's positions.
  place(layout) {
    for (const [id, n] of this.nodes) {
      const p = layout.nodes.get(id);
      if (p) n.g.setAttribute('transform', `translate(${p.x.toFixed(1)},${p.y.toFixed(1)})`);
    }
    for (const { edge, path, label } of this.edges.values()) {
      const a = layout.nodes.get(edge.from), b = layout.nodes.get(edge.to);
      if (!a || !b) continue;
      // Bend each arrow to its left, so that a → b and b → a do not overlap.
      const dx = b.x - a.x, dy = b.y - a.y, d = Math.hypot(dx, dy) || 1;
      const cx = (a.x + b.x) / 2 + (dy / d) * 30, cy = (a.y + b.y) / 2 - (dx / d) * 30;
      // Start and end on the circles' edges, so the arrowhead shows.
      const ra = +this.nodes.get(edge.from).circle.getAttribute('r');
      const rb = +this.nodes.get(edge.to).circle.getAttribute('r') + 2;
      const sa = Math.hypot(cx - a.x, cy - a.y) || 1, sb = Math.hypot(b.x - cx, b.y - cy) || 1;
      const x1 = a.x + ((cx - a.x) / sa) * ra, y1 = a.y + ((cy - a.y) / sa) * ra;
      const x2 = b.x - ((b.x - cx) / sb) * rb, y2 = b.y - ((b.y - cy) / sb) * rb;
      path.setAttribute('d', `M${x1.toFixed(1)},${y1.toFixed(1)} Q${cx.toFixed(1)},${cy.toFixed(1)} ${x2.toFixed(1)},${y2.toFixed(1)}`);
      label.setAttribute('x', ((a.x + 2 * cx + b.x) / 4).toFixed(1));
      label.setAttribute('y', ((a.y + 2 * cy + b.y) / 4).toFixed(1));
    }
  }

  clear() {
    for (const id of [...this.edges.keys()]) this.removeEdge(id);
    for (const id of [...this.nodes.keys()]) this.removeNode(id);
  }
}
