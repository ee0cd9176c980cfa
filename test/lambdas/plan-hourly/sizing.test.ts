import { type HourlySizingSettings, sizeHourlyCluster } from '../../../core/hourly/sizing';
import { HOURLY_SIZING } from '../../workflow/hourly-world';

const auto: HourlySizingSettings = { ...HOURLY_SIZING, mode: 'auto' };

describe('sizeHourlyCluster', () => {
  test('the defaults: single node up to 20,000 location-hours, then a core node per 20,000 more, at most 4', () => {
    expect(HOURLY_SIZING).toEqual({ mode: 'auto', primaryOnlyMaxLocationHours: 20_000, locationHoursPerCoreInstance: 20_000, maxCoreInstances: 4, configuredCoreInstances: 2 });
  });

  test.each([
    // locations, window hours, primary only, core nodes
    [1, 4, true, 0],
    [100, 4, true, 0],
    [1000, 4, true, 0],
    [100, 72, true, 0],
    [1000, 20, true, 0], // exactly at the limit: still one node
    [1000, 21, false, 1], // 21,000: one core node for the 1,000 above
    [1000, 40, false, 1], // 40,000: 20,000 above, exactly one node's worth
    [1000, 41, false, 2],
    [1000, 72, false, 3], // 72,000: 52,000 above → 3
    [5000, 72, false, 4], // 360,000: would be 17, capped at 4
  ])('auto: %i locations × %i h → primary only %s, %i core', (locations, hours, primaryOnly, core) => {
    const shape = sizeHourlyCluster(locations, hours, auto);
    expect([shape.primaryOnly, shape.coreInstanceCount, shape.locationHours]).toEqual([primaryOnly, core, locations * hours]);
  });

  test('auto says why, including when the cap held it back', () => {
    expect(sizeHourlyCluster(100, 4, auto).reason).toBe('100 locations × 4 h = 400 location-hours ≤ 20000: one node');
    expect(sizeHourlyCluster(5000, 72, auto).reason).toBe(
      '5000 locations × 72 h = 360000 location-hours > 20000: 4 core (capped at hourly.sizing.maxCoreInstances 4)',
    );
  });

  test('primary-only keeps one node whatever the window', () => {
    expect(sizeHourlyCluster(5000, 72, { ...auto, mode: 'primary-only' })).toMatchObject({ primaryOnly: true, coreInstanceCount: 0 });
  });

  test('primary-and-core always adds the configured core nodes, as the pipeline did before sizing', () => {
    expect(sizeHourlyCluster(1, 1, { ...auto, mode: 'primary-and-core', configuredCoreInstances: 2 })).toMatchObject({ primaryOnly: false, coreInstanceCount: 2 });
  });
});
