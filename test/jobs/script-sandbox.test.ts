/** The command line a script runs under (src/jobs/kinds/script/sandbox.ts): what wraps node, and what is left out when a tool is missing. */
import { describe, expect, it } from "vitest";
import { findTool, missingProtections, sandboxCommand, sandboxTools } from "../../src/jobs/kinds/script/sandbox";

const tools = { setpriv: "/usr/bin/setpriv", prlimit: "/usr/bin/prlimit" };
const none = { setpriv: null, prlimit: null };

describe("sandboxCommand", () => {
  it("wraps node in setpriv (death with the worker) and prlimit (CPU seconds, writable memory), as arguments only", () => {
    expect(sandboxCommand(["--max-old-space-size=256", "/s/x.mjs"], { cpuSeconds: 60, memoryMb: 512 }, tools)).toEqual({
      command: "/usr/bin/setpriv",
      args: ["--pdeathsig", "KILL", "--", "/usr/bin/prlimit", "--cpu=60:61", `--data=${512 * 1024 * 1024}`, "--", process.execPath, "--max-old-space-size=256", "/s/x.mjs"],
    });
  });

  it("leaves out a limit set to 0, and prlimit altogether when no limit is set", () => {
    expect(sandboxCommand(["x.mjs"], { cpuSeconds: 0, memoryMb: 128 }, tools).args).toEqual([
      "--pdeathsig", "KILL", "--", "/usr/bin/prlimit", `--data=${128 * 1024 * 1024}`, "--", process.execPath, "x.mjs",
    ]);
    expect(sandboxCommand(["x.mjs"], { cpuSeconds: 0, memoryMb: 0 }, tools).args).toEqual(["--pdeathsig", "KILL", "--", process.execPath, "x.mjs"]);
  });

  it("runs node directly where the tools are missing, and says what is not enforced", () => {
    expect(sandboxCommand(["x.mjs"], { cpuSeconds: 60, memoryMb: 1024 }, none)).toEqual({ command: process.execPath, args: ["x.mjs"] });
    expect(missingProtections({ cpuSeconds: 60, memoryMb: 1024 }, none)).toHaveLength(2);
    expect(missingProtections({ cpuSeconds: 0, memoryMb: 0 }, { ...none, setpriv: "/usr/bin/setpriv" })).toEqual([]);
  });

  it("finds and tries the util-linux tools on this machine (Linux CI has both)", () => {
    expect(findTool("definitely-not-a-tool-here")).toBeNull();
    if (process.platform === "linux") expect(sandboxTools()).toEqual({ setpriv: expect.stringMatching(/setpriv$/), prlimit: expect.stringMatching(/prlimit$/) });
  });
});
