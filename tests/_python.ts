// The Python the interop tests run: MNIST_DNN_PYTHON (CI sets it to a venv
// with numpy, safetensors, onnxruntime and onnx) or python3.

const configured = Deno.env.get("MNIST_DNN_PYTHON") ?? "python3";

/** The interpreter, as an absolute path when given relative (tests change directory). */
export const python: string = configured.includes("/") && !configured.startsWith("/")
  ? `${Deno.cwd()}/${configured}`
  : configured;

/** Whether {@link python} runs and can import every one of `modules`. */
export async function pythonHas(...modules: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(python, {
      args: ["-c", `import ${modules.join(", ")}`],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}
