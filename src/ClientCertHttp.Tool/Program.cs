// clientcert: inspect client certificates, probe mutual-TLS servers, run the end-to-end demo.
using System.CommandLine;
using ClientCertHttp.Tool;
using ClientCertHttp.Tool.Demo;
using ClientCertHttp.Tool.Inspect;
using ClientCertHttp.Tool.Probe;

var root = new RootCommand("clientcert: explains client certificates and mutual TLS with the ClientCertHttp library.")
{
    InspectCommand.Create(),
    ProbeCommand.Create(),
    DemoCommand.Create(),
};

var parseResult = root.Parse(args);
if (parseResult.Errors.Count > 0)
{
    // A command line that cannot be acted on is an error (2), not the "warnings" (1) System.CommandLine would return.
    foreach (var error in parseResult.Errors)
    {
        await Console.Error.WriteLineAsync("error: " + error.Message).ConfigureAwait(false);
    }

    await Console.Error.WriteLineAsync("Run 'clientcert --help' for the commands and their options.").ConfigureAwait(false);
    return ExitCodes.Errors;
}

return await parseResult.InvokeAsync().ConfigureAwait(false);
