using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace ClientCertHttp.Tool.Tests;

/// <summary>The output of one run of the tool.</summary>
public sealed record ToolRun(int ExitCode, string Output, string Error)
{
    /// <summary>Parses standard output as JSON (for --json runs).</summary>
    public JsonElement Json()
    {
        using var document = JsonDocument.Parse(Output);
        return document.RootElement.Clone();
    }

    public override string ToString() => $"exit code {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}

/// <summary>Runs the built clientcert tool as a real process: <c>dotnet clientcert.dll …</c>.</summary>
public static class ClientCertTool
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    public static string Path { get; } = typeof(ClientCertTool).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "ClientCertToolPath").Value!;

    /// <summary>Runs the tool with standard input redirected (so it never prompts) and the given extra environment.</summary>
    public static async Task<ToolRun> RunAsync(IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        File.Exists(Path).Should().BeTrue($"the tool must be built before its tests run ({Path})");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet could not be started.");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"clientcert {string.Join(' ', arguments)} did not exit within {Timeout}.");
        }

        return new ToolRun(process.ExitCode, await output, await error);
    }

    public static Task<ToolRun> RunAsync(params string[] arguments) => RunAsync(arguments, environment: null);
}
