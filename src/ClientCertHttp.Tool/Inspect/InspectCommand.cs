using System.CommandLine;
using System.Globalization;
using System.Text.Json.Serialization;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Tool.Certificates;

namespace ClientCertHttp.Tool.Inspect;

/// <summary>
/// <c>clientcert inspect</c>: the library's readiness report for one certificate source, made by
/// <see cref="ClientCertificateReadinessReport.CreateFromOptions"/> so it says exactly what an application would log.
/// </summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var target = new Argument<string?>("certificate")
        {
            Description = "A PFX/PKCS#12 file, a PEM file (with --key, or with the key inside), a Kubernetes TLS secret folder (tls.crt + tls.key), a Kubernetes Pod Certificates credential bundle (one PEM file, key first), or store:STORE/LOCATION/THUMBPRINT-OR-SUBJECT. Omit it to use --store with --thumbprint or --subject.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON." };
        var certificateArguments = new CertificateArguments();
        var command = new Command("inspect", "Loads a client certificate the way ClientCertHttp does and prints the library's readiness report. Exit code 0: ready, 1: warnings, 2: errors.")
        {
            target,
        };
        certificateArguments.AddTo(command);
        command.Options.Add(json);

        command.SetAction(result =>
        {
            var asJson = result.GetValue(json);
            try
            {
                var options = certificateArguments.Read(result, result.GetValue(target))
                    ?? throw new CommandLineException("Name the certificate: a file, a folder, a store:… query, or --store with --thumbprint or --subject.");
                var report = certificateArguments.Load(
                    result,
                    options,
                    o => ClientCertificateReadinessReport.CreateFromOptions(CertificateArguments.ClientName, new ClientCertHttpOptions { Certificate = o }),
                    Console.Error);
                var exitCode = report.Status switch
                {
                    ClientCertificateReadinessStatus.Ready => ExitCodes.Ok,
                    ClientCertificateReadinessStatus.ReadyWithWarnings => ExitCodes.Warnings,
                    _ => ExitCodes.Errors,
                };
                if (asJson)
                {
                    Console.Out.WriteLine(ToolOutput.Json(report, InspectJsonContext.Default.ClientCertificateReadinessReport));
                }
                else
                {
                    Print(report, exitCode, Console.Out);
                }

                return exitCode;
            }
            catch (ClientCertificateException ex)
            {
                return ToolOutput.Error(ex.Message, CertificateArguments.HintFor(ex), asJson, ex.Reason.ToString());
            }
            catch (CommandLineException ex)
            {
                return ToolOutput.Error(ex.Message, null, asJson);
            }
        });
        return command;
    }

    private static void Print(ClientCertificateReadinessReport report, int exitCode, TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        var leaf = report.Certificate;
        var daysLeft = (leaf.NotAfter - report.CreatedAt).TotalDays;
        output.WriteLine(string.Create(c, $"Certificate:  {leaf.Subject}"));
        output.WriteLine(string.Create(c, $"  source:     {report.Source}"));
        output.WriteLine(string.Create(c, $"  thumbprint: {leaf.Thumbprint}"));
        output.WriteLine(string.Create(c, $"  key:        {leaf.KeyAlgorithm} {leaf.KeySize}, signed {leaf.SignatureAlgorithm}"));
        output.WriteLine(string.Create(c, $"  valid:      {leaf.NotBefore:yyyy-MM-dd HH:mm} to {leaf.NotAfter:yyyy-MM-dd HH:mm} UTC ({(daysLeft >= 0 ? $"{Math.Floor(daysLeft):0} days left" : "expired")})"));
        output.WriteLine(string.Create(c, $"  usage:      {report.UsageVerdict}{(report.ExtendedKeyUsages.Count > 0 ? $" (EKU {string.Join(", ", report.ExtendedKeyUsages)})" : " (no EKU extension)")}"));

        output.WriteLine();
        output.WriteLine(string.Create(c, $"Chain sent in the handshake ({report.SentChain.Count}):"));
        foreach (var (element, index) in report.SentChain.Select((e, i) => (e, i + 1)))
        {
            output.WriteLine(string.Create(c, $"  {index}. {element.Subject} ({element.Thumbprint}, not after {element.NotAfter:yyyy-MM-dd})"));
        }

        output.WriteLine(string.Create(c, $"  chain:      {report.ChainStatus}"));
        if (report.Root is { } root)
        {
            output.WriteLine(string.Create(c, $"  root:       {root.Subject} ({root.Thumbprint}; not sent: the server must trust it)"));
        }

        if (report.MissingIssuer is { } missing)
        {
            output.WriteLine(string.Create(c, $"  not found:  issuer {missing}{(report.MissingIssuerDownloadUrls.Count > 0 ? $" (AIA: {string.Join(", ", report.MissingIssuerDownloadUrls)})" : string.Empty)}, neither in the source nor in this machine's stores; nothing is missing if it is the root the server trusts"));
        }

        output.WriteLine();
        if (report.Findings.Count == 0)
        {
            output.WriteLine("No findings.");
        }
        else
        {
            output.WriteLine("Findings:");
            foreach (var finding in report.Findings)
            {
                output.WriteLine(string.Create(c, $"  {finding.Severity.ToString().ToLowerInvariant()} {finding.Code}: {finding.Message}"));
            }
        }

        output.WriteLine();
        output.WriteLine(string.Create(c, $"Result: {report.Status} (exit code {exitCode})"));
    }
}

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, WriteIndented = true, UseStringEnumConverter = true)]
[JsonSerializable(typeof(ClientCertificateReadinessReport))]
internal sealed partial class InspectJsonContext : JsonSerializerContext;
