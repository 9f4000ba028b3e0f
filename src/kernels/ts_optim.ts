// Optimizer steps in TypeScript, the twins of native/optim.c: one pass over
// a run of parameters each, weight decay added to the gradient as PyTorch
// does; with their argument checks.

import { checkStep } from "./_check.ts";
import type { KernelChecks, Kernels } from "./kernels.ts";

type OptimOp = "sgdStep" | "momentumStep" | "adamStep" | "rmsStep";

/** The optimizer steps (arguments already checked). */
export const TS_OPTIM: Pick<Kernels, OptimOp> = {
  sgdStep(params, grads, n, lr, weightDecay): void {
    for (let i = 0; i < n; i++) params[i] -= lr * (grads[i] + weightDecay * params[i]);
  },
  momentumStep(params, grads, velocity, n, lr, momentum, weightDecay, nesterov): void {
    for (let i = 0; i < n; i++) {
      const g = grads[i] + weightDecay * params[i];
      const v = velocity[i] = momentum * velocity[i] + g;
      params[i] -= lr * (nesterov ? g + momentum * v : v);
    }
  },
  adamStep(params, grads, m, v, n, lrT, beta1, beta2, epsT, weightDecay, keep): void {
    for (let i = 0; i < n; i++) {
      const g = grads[i] + weightDecay * params[i];
      const mi = m[i] = beta1 * m[i] + (1 - beta1) * g;
      const vi = v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      params[i] = keep * params[i] - (lrT * mi) / (Math.sqrt(vi) + epsT);
    }
  },
  rmsStep(params, grads, s, n, lr, rho, c, eps, weightDecay): void {
    for (let i = 0; i < n; i++) {
      const g = grads[i] + weightDecay * params[i];
      const si = s[i] = rho * s[i] + c * g * g;
      params[i] -= (lr * g) / (Math.sqrt(si) + eps);
    }
  },
};

/** Their argument checks. */
export const OPTIM_CHECKS: KernelChecks<OptimOp> = {
  sgdStep: (params, grads, n) => checkStep("sgdStep", n, { params, grads }),
  momentumStep: (params, grads, velocity, n) =>
    checkStep("momentumStep", n, { params, grads, velocity }),
  adamStep: (params, grads, m, v, n) => checkStep("adamStep", n, { params, grads, m, v }),
  rmsStep: (params, grads, s, n) => checkStep("rmsStep", n, { params, grads, s }),
};
