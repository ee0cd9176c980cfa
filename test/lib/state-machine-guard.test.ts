import { type AslDefinition, type AslState, stateMachineDefinitions } from '../../local/definition';
import { synthesize } from '../workflow/support/synth';

interface Violation {
  stateMachine: string;
  state: string;
  problem: string;
}

/** Every state of a definition, including those inside Map item processors and Parallel branches. */
function* allStates(definition: Pick<AslDefinition, 'States'>): Generator<[string, AslState]> {
  for (const [name, state] of Object.entries(definition.States)) {
    yield [name, state];
    const nested = [state.ItemProcessor, state.Iterator, ...((state.Branches as unknown[] | undefined) ?? [])];
    for (const inner of nested) if (inner !== undefined) yield* allStates(inner as Pick<AslDefinition, 'States'>);
  }
}

/**
 * The rules both workflows must keep for the local interpreter (aws-local-stepfunctions 3) to run them
 * exactly as AWS does: JSONPath only, no variables, no distributed-map readers, and an explicit
 * TimeoutSeconds on every Task (the interpreter's default is 60 s, AWS's is a year).
 */
function violations(stateMachine: string, definition: AslDefinition): Violation[] {
  const found: Violation[] = [];
  if (definition.QueryLanguage !== undefined && definition.QueryLanguage !== 'JSONPath') {
    found.push({ stateMachine, state: '(top level)', problem: `QueryLanguage ${definition.QueryLanguage}` });
  }
  for (const [name, state] of allStates(definition)) {
    const add = (problem: string) => found.push({ stateMachine, state: name, problem });
    if (state.QueryLanguage === 'JSONata') add('uses JSONata');
    if ('Assign' in state) add('uses Assign');
    if ('ItemReader' in state || 'ItemBatcher' in state || 'ResultWriter' in state) add('uses a distributed Map feature');
    if (state.Type === 'Task' && state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
      add('Task without TimeoutSeconds');
    }
    for (const value of Object.values(state)) if (typeof value === 'string' && value.includes('{%')) add('JSONata expression');
  }
  return found;
}

describe('every state machine of the app', () => {
  const synthesized = synthesize();
  const definitions = {
    ...stateMachineDefinitions(synthesized.pipelineJson, { exportingTemplates: [synthesized.dataLakeJson] }),
    ...stateMachineDefinitions(synthesized.dataLakeJson),
  };

  test('the app has both pipeline state machines to check (the guard cannot pass vacuously)', () => {
    expect(Object.keys(definitions).map((id) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'BackfillStateMachine',
      'HourlyStateMachine',
    ]);
  });

  test.each(Object.keys(definitions))('%s uses only JSONPath, no Assign or ItemReader, and a TimeoutSeconds on every Task', (id) => {
    expect(violations(id, definitions[id] as AslDefinition)).toEqual([]);
  });
});

describe('the guard itself', () => {
  test('reports each forbidden construct with the state it is in', () => {
    const bad: AslDefinition = {
      StartAt: 'A',
      QueryLanguage: 'JSONata',
      States: {
        A: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Assign: { x: 1 }, Next: 'M' },
        M: {
          Type: 'Map',
          ItemReader: {},
          ItemProcessor: { StartAt: 'B', States: { B: { Type: 'Task', Resource: 'r', TimeoutSeconds: 5, Output: '{% $x %}', End: true } } },
          End: true,
        },
      },
    };
    expect(violations('Bad', bad)).toEqual([
      { stateMachine: 'Bad', state: '(top level)', problem: 'QueryLanguage JSONata' },
      { stateMachine: 'Bad', state: 'A', problem: 'uses Assign' },
      { stateMachine: 'Bad', state: 'A', problem: 'Task without TimeoutSeconds' },
      { stateMachine: 'Bad', state: 'M', problem: 'uses a distributed Map feature' },
      { stateMachine: 'Bad', state: 'B', problem: 'JSONata expression' },
    ]);
  });
});
