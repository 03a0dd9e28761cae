// A small force layout: characters push each other away, relationships pull their two
// ends together like springs (stronger bonds, loving or hostile, are shorter), everything
// drifts to the centre, and the motion cools down until the picture holds still.
// Good for the tens of characters of a cast; a big map wants d3-force or a WebGL renderer.

const REPULSION = 30000; // how hard two characters push apart
const SPRING = 0.03; // how hard a relationship pulls
const CENTERING = 0.004; // how hard everything drifts to the centre
const FRICTION = 0.6; // velocity kept from one tick to the next
const COOLING = 0.985; // alpha kept from one tick to the next
const REST = 0.01; // alpha under which the layout stops

export class Layout {
  constructor() {
    this.nodes = new Map(); // id -> {x, y, vx, vy}
    this.links = []; // [{from, to, strength}]
    this.alpha = 1;
  }

  // setGraph takes the current characters and relationships. Characters already placed
  // keep their place; new ones start on a circle around the centre.
  setGraph(ids, links, width, height) {
    const placed = this.nodes;
    this.nodes = new Map();
    ids.forEach((id, i) => {
      const angle = (2 * Math.PI * i) / ids.length;
      this.nodes.set(id, placed.get(id) ?? {
        x: width / 2 + Math.cos(angle) * width / 4, y: height / 2 + Math.sin(angle) * height / 4, vx: 0, vy: 0,
      });
    });
    this.links = links;
    this.reheat();
  }

  // reheat sets the layout moving again after a change.
  reheat(alpha = 0.6) {
    this.alpha = Math.max(this.alpha, alpha);
  }

  get moving() {
    return this.alpha > REST;
  }

  // tick advances the layout one step inside a width × height box.
  tick(width, height) {
    const nodes = [...this.nodes.values()];
    for (let i = 0; i < nodes.length; i++) {
      for (let j = i + 1; j < nodes.length; j++) {
        const a = nodes[i], b = nodes[j];
        const dx = b.x - a.x || Math.random() - 0.5, dy = b.y - a.y || Math.random() - 0.5;
        const d2 = Math.max(dx * dx + dy * dy, 100);
        const f = (REPULSION * this.alpha) / d2 / Math.sqrt(d2);
        a.vx -= dx * f; a.vy -= dy * f;
        b.vx += dx * f; b.vy += dy * f;
      }
    }
    const span = Math.min(width, height);
    for (const { from, to, strength } of this.links) {
      const a = this.nodes.get(from), b = this.nodes.get(to);
      if (!a || !b) continue;
      const dx = b.x - a.x, dy = b.y - a.y;
      const d = Math.hypot(dx, dy) || 1;
      const rest = span * (0.6 - 0.25 * Math.abs(strength));
      const f = ((d - rest) / d) * SPRING * this.alpha;
      a.vx += dx * f; a.vy += dy * f;
      b.vx -= dx * f; b.vy -= dy * f;
    }
    for (const n of nodes) {
      n.vx += (width / 2 - n.x) * CENTERING * this.alpha;
      n.vy += (height / 2 - n.y) * CENTERING * this.alpha;
      n.vx *= FRICTION; n.vy *= FRICTION;
      n.x = Math.min(width - 40, Math.max(40, n.x + n.vx));
      n.y = Math.min(height - 30, Math.max(30, n.y + n.vy));
    }
    this.alpha *= COOLING;
  }
}
