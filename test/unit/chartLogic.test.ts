import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { alignSeries, axisName, axisTitle, chartSummary, extentOf, formatValue, MAX_AXES, opaque, paddedRange, planAxes, timeTickLabels, timeTickSpace, valueTickLabels, type Extent } from '../../webview/logic/chart';

const range = (min: number, max: number): Extent => ({ min, max });
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Time steps of the kind uPlot picks for a time axis in milliseconds. */
const TIME_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, SECOND, 2 * SECOND, 5 * SECOND, 10 * SECOND, 15 * SECOND, 30 * SECOND, MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 15 * DAY, 30 * DAY, 90 * DAY, 365 * DAY];

describe('Webview logic: chart axes', () => {
  it('gives series of very different scales axes of their own, left then right', () => {
    const plan = planAxes([range(0, 1), range(0, 5000)]);
    assert.deepEqual(plan.axisOf, [0, 1]);
    assert.deepEqual(plan.axes, [
      { series: [0], side: 'left' },
      { series: [1], side: 'right' },
    ]);
    assert.equal(axisName(plan, 1), 'right axis');
  });

  it('keeps series of one scale on one axis, flat ones included', () => {
    assert.deepEqual(planAxes([range(0, 1), range(0, 2), range(-0.5, 0.5)]).axes, [{ series: [0, 1, 2], side: 'left' }]);
    // A steady 230 V and a voltage moving around it.
    assert.deepEqual(planAxes([range(230, 230), range(229, 231.5)]).axisOf, [0, 0]);
    // A steady 230 and a steady 0.5 are not one scale.
    assert.deepEqual(planAxes([range(230, 230), range(0.5, 0.5)]).axisOf, [0, 1]);
    // Negative values: an RSSI around -60 and a percentage share; a counter in the thousands does not.
    assert.deepEqual(planAxes([range(-90, -40), range(0, 100), range(0, 50_000)]).axisOf, [0, 0, 1]);
  });

  it('has at most three axes: more series share the closest one', () => {
    const plan = planAxes([range(0, 1), range(0, 50), range(0, 5000), range(0, 1e6)]);
    assert.equal(plan.axes.length, MAX_AXES);
    assert.deepEqual(plan.axisOf, [0, 0, 1, 2], '0–1 and 0–50 are the closest pair');
    assert.deepEqual(plan.axes.map((axis) => axis.side), ['left', 'right', 'left']);
    assert.deepEqual([axisName(plan, 0), axisName(plan, 1), axisName(plan, 2)], ['inner left axis', 'right axis', 'outer left axis']);
    assert.equal(planAxes([range(0, 1), range(0, 5000)], 10, 1).axes.length, 1, 'a bound of one');
  });

  it('puts a series without points on the first axis, and copes with none at all', () => {
    assert.deepEqual(planAxes([undefined, range(0, 1), range(0, 1e4)]).axisOf, [0, 0, 1]);
    assert.deepEqual(planAxes([undefined]), { axisOf: [0], axes: [{ series: [], side: 'left' }] });
    assert.deepEqual(planAxes([]).axes.length, 1);
  });

  it('property: every series has one axis, axes are bounded and the plan does not depend on units', () => {
    // Thousandths: normal doubles, which a power of two scales exactly (subnormal ones lose digits).
    const extent = fc.tuple(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: 0, max: 1e12 })).map(([min, width]) => range(min / 1000, (min + width) / 1000));
    fc.assert(
      fc.property(fc.array(fc.option(extent, { nil: undefined }), { maxLength: 12 }), (extents) => {
        const plan = planAxes(extents);
        assert.ok(plan.axes.length >= 1 && plan.axes.length <= MAX_AXES);
        const listed = plan.axes.flatMap((axis) => axis.series).sort((a, b) => a - b);
        assert.deepEqual(listed, extents.flatMap((one, index) => (one ? [index] : [])), 'each series with points on exactly one axis');
        plan.axes.forEach((axis, index) => axis.series.forEach((series) => assert.equal(plan.axisOf[series], index)));
        // Kilowatts instead of watts (a power of two, so that the arithmetic stays exact).
        const scaled = planAxes(extents.map((one) => one && range(one.min * 1024, one.max * 1024)));
        assert.deepEqual(scaled, plan);
      }),
    );
  });
});

describe('Webview logic: chart data', () => {
  it('lays several series out on one time axis, a value or null per time', () => {
    const aligned = alignSeries([
      { path: 'a', points: [{ t: 10, v: 1 }, { t: 30, v: 3 }] },
      { path: 'b', points: [{ t: 20, v: 20 }, { t: 30, v: 30 }] },
    ]);
    assert.deepEqual(aligned, {
      x: [10, 20, 30],
      y: [
        [1, null, 3],
        [null, 20, 30],
      ],
    });
  });

  it('keeps two points of one series at the same millisecond, in order', () => {
    const aligned = alignSeries([
      { path: 'a', points: [{ t: 5, v: 1 }, { t: 5, v: 2 }] },
      { path: 'b', points: [{ t: 5, v: 9 }] },
    ]);
    assert.deepEqual(aligned, { x: [5, 5], y: [[1, 2], [9, null]] }, 'b shares the first column');
    assert.deepEqual(alignSeries([]), { x: [], y: [] });
  });

  it('property: no point is lost, times ascend', () => {
    const series = fc.array(fc.array(fc.record({ t: fc.integer({ min: 0, max: 50 }), v: fc.integer() }), { maxLength: 30 }), { maxLength: 6 });
    fc.assert(
      fc.property(series, (pointLists) => {
        const input = pointLists.map((points, index) => ({ path: `s${index}`, points: points.map(({ t, v }) => ({ t, v })).sort((a, b) => a.t - b.t) }));
        const { x, y } = alignSeries(input);
        assert.deepEqual(x, [...x].sort((a, b) => a - b));
        input.forEach((one, index) => {
          const back = y[index].flatMap((v, at) => (v === null ? [] : [{ t: x[at], v }]));
          assert.deepEqual(back, one.points);
        });
      }),
    );
  });

  it('pads the y range, and gives a flat line room', () => {
    assert.deepEqual(paddedRange(0, 100), [-5, 105]);
    assert.deepEqual(paddedRange(230, 230), [207, 253]);
    assert.deepEqual(paddedRange(0, 0), [-1, 1]);
    assert.deepEqual(paddedRange(null, null), [0, 1]);
    assert.deepEqual(extentOf([{ v: 3 }, { v: -2 }]), { min: -2, max: 3 });
    assert.equal(extentOf([]), undefined);
  });
});

describe('Webview logic: chart labels', () => {
  it('labels value ticks with the decimals their step needs, large ones in k and M', () => {
    assert.deepEqual(valueTickLabels([0, 0.25, 0.5], 0.25), ['0.00', '0.25', '0.50']);
    assert.deepEqual(valueTickLabels([-1000, 0, 1000, 2000], 1000), ['-1000', '0', '1000', '2000']);
    assert.deepEqual(valueTickLabels([0, 500_000, 1_000_000], 500_000), ['0', '0.5M', '1.0M']);
    assert.deepEqual(valueTickLabels([1_000_000, 1_000_002], 2), ['1000000', '1000002'], 'a fine step keeps every digit');
    assert.deepEqual(valueTickLabels([2.5e-8, 5e-8, 7.5e-8, 1e-7], 2.5e-8), ['2.50e-8', '5.00e-8', '7.50e-8', '1.00e-7']);
    assert.deepEqual(valueTickLabels([0.1 + 0.2, 0.4], 0.1), ['0.3', '0.4'], 'no floating-point noise');
  });

  it('property: neighbouring value ticks never read the same', () => {
    const step = fc.tuple(fc.constantFrom(1, 2, 2.5, 5), fc.integer({ min: -9, max: 12 })).map(([mantissa, power]) => Number((mantissa * 10 ** power).toPrecision(12)));
    fc.assert(
      fc.property(step, fc.integer({ min: -100_000, max: 100_000 }), fc.integer({ min: 2, max: 12 }), (size, first, count) => {
        const ticks = Array.from({ length: count }, (_, index) => Number(((first + index) * size).toPrecision(12)));
        const labels = valueTickLabels(ticks, size);
        assert.equal(new Set(labels).size, labels.length, `${labels.join(' ')} for step ${size}`);
      }),
    );
  });

  it('labels time ticks as precisely as their step, in local time', () => {
    const at = (h: number, m: number, s = 0, ms = 0) => new Date(2026, 2, 5, h, m, s, ms).getTime();
    assert.deepEqual(timeTickLabels([at(9, 0), at(9, 5), at(9, 10)], 5 * MINUTE), ['09:00', '09:05', '09:10']);
    assert.deepEqual(timeTickLabels([at(9, 0, 10), at(9, 0, 15)], 5 * SECOND), ['09:00:10', '09:00:15']);
    assert.deepEqual(timeTickLabels([at(9, 0, 1, 0), at(9, 0, 1, 500)], 500), ['09:00:01.0', '09:00:01.5']);
    assert.deepEqual(timeTickLabels([at(9, 0, 1, 20), at(9, 0, 1, 25)], 5), ['09:00:01.020', '09:00:01.025']);
    assert.deepEqual(timeTickLabels([at(9, 0, 1, 450) - 1e-4, at(9, 0, 1, 500) - 1e-4], 50), ['09:00:01.45', '09:00:01.50'], 'a tick a hair early');
    assert.deepEqual(timeTickLabels([at(9, 0, 59, 999.9), at(9, 1, 9, 999.9)], 10 * SECOND), ['09:01:00', '09:01:10']);
    // The date where the day changes.
    assert.deepEqual(timeTickLabels([at(18, 0), new Date(2026, 2, 6, 0, 0).getTime(), new Date(2026, 2, 6, 6, 0).getTime()], 6 * HOUR), ['18:00', '00:00\n6 Mar', '06:00']);
    assert.deepEqual(timeTickLabels([at(0, 0), new Date(2026, 2, 6).getTime()], DAY), ['5 Mar', '6 Mar']);
    assert.deepEqual(timeTickLabels([new Date(2026, 0, 1).getTime(), new Date(2026, 1, 1).getTime()], 30 * DAY), ['Jan 2026', 'Feb 2026']);
    assert.deepEqual(timeTickLabels([new Date(2025, 0, 1).getTime(), new Date(2026, 0, 1).getTime()], 365 * DAY), ['2025', '2026']);
  });

  it('says the UTC offset of the hour that the end of summer time repeats', () => {
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      // 1 November 2026, 01:00 EDT and 01:00 EST.
      assert.deepEqual(timeTickLabels([Date.UTC(2026, 10, 1, 4), Date.UTC(2026, 10, 1, 5), Date.UTC(2026, 10, 1, 6), Date.UTC(2026, 10, 1, 7)], HOUR), ['00:00', '01:00', '01:00\nUTC-5', '02:00']);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it('property: neighbouring time ticks never read the same, and their labels fit the room between them', () => {
    const charPx = 7.5;
    fc.assert(
      // Ranges from 50 ms to 40 days, evenly on a log scale so that every step is tried.
      fc.property(fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }), fc.double({ min: Math.log10(50), max: Math.log10(40 * DAY), noNaN: true }), fc.integer({ min: 150, max: 2000 }), (start, power, plotPx) => {
        const rangeMs = 10 ** power;
        const space = timeTickSpace(rangeMs, plotPx, charPx);
        // uPlot takes the smallest step at least `space` pixels wide.
        const step = TIME_STEPS.find((one) => (one * plotPx) / rangeMs >= space) ?? TIME_STEPS[TIME_STEPS.length - 1];
        const first = Math.ceil(start / step) * step;
        const ticks = Array.from({ length: 6 }, (_, index) => first + index * step);
        const labels = timeTickLabels(ticks, step);
        for (let index = 1; index < labels.length; index++) assert.notEqual(labels[index], labels[index - 1], labels.join(' | '));
        const widest = Math.max(...labels.flatMap((label) => label.split('\n')).map((line) => line.length));
        assert.ok((widest + 1) * charPx <= (step * plotPx) / rangeMs, `${labels[0]} in ${space} px (step ${step} ms)`);
      }),
      { numRuns: 2000 },
    );
  });

  it('says what the chart shows, for a screen reader', () => {
    const series = [
      { path: 'ratio', points: [{ t: 1, v: 0 }, { t: 2, v: 1 }] },
      { path: 'power.watts', points: [{ t: 1, v: 1200 }] },
      { path: 'gone', points: [] },
    ];
    const plan = planAxes(series.map((one) => extentOf(one.points)));
    assert.equal(chartSummary(series, plan), 'Chart of ratio (2 points, 0 to 1, left axis), power.watts (1 point, all 1200, right axis), gone (no points)');
    assert.equal(chartSummary(series.slice(0, 1), planAxes([range(0, 1)])), 'Chart of ratio (2 points, 0 to 1)');
    assert.equal(axisTitle(['power.watts', 'power.voltage'], 100), 'power.watts, power.voltage');
    assert.equal(axisTitle(['power.watts', 'power.voltage'], 12), 'power.watts\u2026');
    assert.equal(formatValue(1234.5678912), '1234.568');
    assert.equal(formatValue(2e-7), '2.0000e-7');
  });

  it('draws theme colours opaque', () => {
    assert.equal(opaque('#d1861699'), '#d18616');
    assert.equal(opaque('#abcd'), '#abc');
    assert.equal(opaque(' #3794FF '), '#3794FF');
    assert.equal(opaque('rgba(1, 2, 3, 0.5)'), 'rgb(1, 2, 3)');
    assert.equal(opaque('orange'), 'orange');
  });
});
