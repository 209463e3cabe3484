"""Gradient descent with momentum on a fixed quadratic; prints an autoresearch-style summary."""
import math
import time

LEARNING_RATE = 0.02
MOMENTUM = 0.5
STEPS = 50

# Fixed problem: f(x) = sum(c_i * (x_i - t_i)^2), badly conditioned on purpose.
CURVATURE = [1.0, 3.0, 10.0, 30.0]
TARGET = [1.0, -2.0, 0.5, 3.0]
HELD_OUT_SHIFT = [0.01, -0.02, 0.005, 0.01]


def loss(x, shift=(0.0, 0.0, 0.0, 0.0)):
    return sum(c * (xi - t - s) ** 2 for c, xi, t, s in zip(CURVATURE, x, TARGET, shift))


def main():
    start = time.time()
    x = [0.0] * len(TARGET)
    v = [0.0] * len(TARGET)
    for step in range(STEPS):
        grad = [2 * c * (xi - t) for c, xi, t in zip(CURVATURE, x, TARGET)]
        v = [MOMENTUM * vi - LEARNING_RATE * g for vi, g in zip(v, grad)]
        x = [xi + vi for xi, vi in zip(x, v)]
        train_loss = loss(x)
        if not math.isfinite(train_loss) or train_loss > 1e6:
            print("FAIL")
            raise SystemExit(1)
        if step % 10 == 0:
            print(f"step {step:04d} | loss: {train_loss:.6f}")
    val_loss = loss(x, HELD_OUT_SHIFT)
    total = time.time() - start
    print("---")
    print(f"val_loss:         {val_loss:.6f}")
    print(f"training_seconds: {total:.1f}")
    print(f"total_seconds:    {total:.1f}")
    print(f"num_steps:        {STEPS}")


if __name__ == "__main__":
    main()
