// aws-local-stepfunctions 3 calls Promise.withResolvers, which Node 22 has and Node 20 does not.
import { installPromiseWithResolvers } from '../local/polyfills';

installPromiseWithResolvers();
