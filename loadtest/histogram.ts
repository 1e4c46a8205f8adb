/**
 * A log-linear latency histogram in the manner of HdrHistogram: values below 2·S are
 * kept exactly; above that each power of two is split into S equal sub-buckets, so any
 * recorded value is reported within a relative error of 1/S (S = 2^subBucketBits).
 * Recording is O(1) with no allocation, which matters when it runs once per echoed
 * packet inside the load generator's receive handler.
 *
 * Values are non-negative integers in whatever unit the caller picks (the benchmark
 * records nanoseconds); values above `maxValue` are clamped and counted in `clamped`.
 */
export interface HistogramOptions {
  /** log2 of the sub-buckets per power of two; 7 gives < 0.8 % relative error. */
  subBucketBits?: number
  /** The largest value kept apart from clamping; at most 2^53. */
  maxValue?: number
}

export interface HistogramSummary {
  count: number
  min: number
  max: number
  mean: number
  p50: number
  p90: number
  p99: number
  p999: number
}

export class Histogram {
  readonly subBucketBits: number
  readonly maxValue: number
  #subBuckets: number
  #counts: Float64Array
  #count = 0
  #sum = 0
  #min = Number.POSITIVE_INFINITY
  #max = 0
  #clamped = 0

  constructor(opts: HistogramOptions = {}) {
    this.subBucketBits = opts.subBucketBits ?? 7
    this.maxValue = opts.maxValue ?? 2 ** 36 // ~68.7 s in nanoseconds
    if (!Number.isInteger(this.subBucketBits) || this.subBucketBits < 1 || this.subBucketBits > 16) {
      throw new RangeError('subBucketBits must be an integer in 1..16')
    }
    if (!(this.maxValue >= 1) || this.maxValue > 2 ** 53) throw new RangeError('maxValue must be in 1..2^53')
    this.#subBuckets = 2 ** this.subBucketBits
    this.#counts = new Float64Array(this.indexOf(Math.floor(this.maxValue)) + 1)
  }

  get count(): number { return this.#count }
  get clamped(): number { return this.#clamped }
  get min(): number { return this.#count === 0 ? 0 : this.#min }
  get max(): number { return this.#max }
  get mean(): number { return this.#count === 0 ? 0 : this.#sum / this.#count }

  /** The bucket a value falls into. */
  indexOf(value: number): number {
    const s = this.#subBuckets
    if (value < 2 * s) return value
    // e = how many low bits are dropped so that (value >> e) lands in [S, 2S)
    const e = Math.floor(Math.log2(value)) - this.subBucketBits
    let shift = e
    let mantissa = Math.floor(value / 2 ** shift)
    // log2 of a double can be off by one ulp near powers of two: correct it.
    if (mantissa >= 2 * s) { shift += 1; mantissa = Math.floor(value / 2 ** shift) }
    else if (mantissa < s) { shift -= 1; mantissa = Math.floor(value / 2 ** shift) }
    return (shift + 1) * s + (mantissa - s)
  }

  /** The lowest and highest value that map to bucket `index`. */
  bucketRange(index: number): [number, number] {
    const s = this.#subBuckets
    if (index < 2 * s) return [index, index]
    const shift = Math.floor(index / s) - 1
    const mantissa = (index % s) + s
    const low = mantissa * 2 ** shift
    return [low, low + 2 ** shift - 1]
  }

  record(value: number): void {
    let v = value < 0 ? 0 : Math.floor(value)
    if (v > this.maxValue) { v = Math.floor(this.maxValue); this.#clamped++ }
    this.#counts[this.indexOf(v)]! += 1
    this.#count++
    this.#sum += v
    if (v < this.#min) this.#min = v
    if (v > this.#max) this.#max = v
  }

  /**
   * The value at percentile `p` (0..100): the midpoint of the bucket holding the
   * ceil(p/100·count)-th smallest value, clamped to the observed min and max.
   */
  percentile(p: number): number {
    if (this.#count === 0) return 0
    if (p <= 0) return this.min
    if (p >= 100) return this.#max
    // the epsilon keeps 0.999 × 1000 from rounding up to rank 1000
    const rank = Math.max(1, Math.ceil((p / 100) * this.#count - 1e-9))
    let seen = 0
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i]!
      if (seen >= rank) {
        const [low, high] = this.bucketRange(i)
        const mid = low + Math.floor((high - low) / 2)
        return Math.min(Math.max(mid, this.min), this.#max)
      }
    }
    return this.#max
  }

  /** Adds another histogram of the same shape into this one. */
  merge(other: Histogram): void {
    if (other.subBucketBits !== this.subBucketBits || other.maxValue !== this.maxValue) {
      throw new RangeError('cannot merge histograms of different shapes')
    }
    const theirs = other.#counts
    for (let i = 0; i < theirs.length; i++) this.#counts[i]! += theirs[i]!
    this.#count += other.#count
    this.#sum += other.#sum
    this.#clamped += other.#clamped
    if (other.#count > 0) {
      this.#min = Math.min(this.#min, other.#min)
      this.#max = Math.max(this.#max, other.#max)
    }
  }

  reset(): void {
    this.#counts.fill(0)
    this.#count = 0
    this.#sum = 0
    this.#min = Number.POSITIVE_INFINITY
    this.#max = 0
    this.#clamped = 0
  }

  summary(): HistogramSummary {
    return {
      count: this.#count,
      min: this.min,
      max: this.#max,
      mean: this.mean,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
    }
  }
}
