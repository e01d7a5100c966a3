import { PCA } from 'ml-pca';

/**
 * A linear projection of the [CLS] representation onto a few directions, learned on the
 * reference: `components` holds k rows of the representation's length. The live window is
 * compared with the reference on these components (representation_pc1 …), which shows texts
 * that look ordinary by length and characters but sit where the model has seen nothing.
 */
export interface Projection {
  /** The reference's mean representation, subtracted before projecting. */
  readonly mean: readonly number[];
  /** Unit-length directions, one per component, largest variance first. */
  readonly components: readonly (readonly number[])[];
}

/** Components kept by default: enough to see a population move, few enough to export. */
export const DEFAULT_COMPONENTS = 3;

/** (representation − mean) · component, for each component. */
export function project(representation: ArrayLike<number>, projection: Projection): number[] {
  const { mean, components } = projection;
  const out = new Array<number>(components.length);
  for (let k = 0; k < components.length; k++) {
    const component = components[k] as readonly number[];
    let sum = 0;
    for (let i = 0; i < component.length; i++)
      sum += ((representation[i] as number) - (mean[i] as number)) * (component[i] as number);
    out[k] = sum;
  }
  return out;
}

/**
 * The first `k` principal components of `rows` (ml-pca, by SVD of the centred data). A
 * component's sign is arbitrary, so each is turned to make its largest coordinate positive:
 * the same data always gives the same profile.
 */
export function fitProjection(
  rows: readonly ArrayLike<number>[],
  k = DEFAULT_COMPONENTS,
): Projection {
  if (rows.length < 2) throw new Error('a projection needs at least two representations');
  const data = rows.map((row) => Array.from(row));
  const width = (data[0] as number[]).length;
  const pca = new PCA(data, { center: true, scale: false });
  const kept = Math.min(k, width, rows.length - 1);
  const loadings = pca.getLoadings().to2DArray().slice(0, kept);
  const mean = new Array<number>(width).fill(0);
  for (const row of data)
    for (let i = 0; i < width; i++)
      mean[i] = (mean[i] as number) + (row[i] as number) / data.length;
  const components = loadings.map((component) => {
    let largest = 0;
    for (const value of component) if (Math.abs(value) > Math.abs(largest)) largest = value;
    return largest < 0 ? component.map((value) => -value) : component;
  });
  return { mean, components };
}
