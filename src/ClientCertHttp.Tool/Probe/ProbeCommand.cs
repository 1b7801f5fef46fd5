using System.CommandLine;
using System.Globalization;
using ClientCertHttp.Certificates;
using ClientCertHttp.DependencyInjection;
using ClientCertHttp.Tool.Certificates;
using ClientCertHttp.Trust;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClientCertHttp.Tool.Probe;

/// <summary><c>clientcert probe &lt;https-url&gt;</c>: one real handshake and request, explained.</summary>
internal static class ProbeCommand
{
    public static Command Create()
    {
        var url = new Argument<string>("url") { Description = "The https URL to GET (its host is also the TLS server name)." };
        var certificate = new Option<string?>("--cert")
        {
            Description = "The client certificate: a PFX/PKCS#12 file, a PEM file (with --key), a Kubernetes TLS secret folder, a Pod Certificates credential bundle (key first), or store:STORE/LOCATION/THUMBPRINT-OR-SUBJECT. Without it the probe sends no certificate.",
            HelpName = "file|folder|store-query",
        };
        var ca = new Option<string?>("--ca") { Description = "PEM or DER file of the root CA(s) to trust for the server's certificate, instead of the system trust.", HelpName = "root.pem" };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON." };
        var http2 = new Option<bool>("--http2") { Description = "Offer HTTP/2 (ALPN h2) and send the GET over HTTP/2." };
        var timeout = new Option<TimeSpan>("--timeout") { Description = "How long the whole probe may take.", DefaultValueFactory = _ => TimeSpan.FromSeconds(30), HelpName = "hh:mm:ss" };
        var certificateArguments = new CertificateArguments();

        var command = new Command("probe", "Connects to an HTTPS server with a client certificate and explains the handshake, the server's answer and any failure.")
        {
            url,
            certificate,
        };
        certificateArguments.AddTo(command);
        command.Options.Add(ca);
        command.Options.Add(json);
        command.Options.Add(http2);
        command.Options.Add(timeout);

        command.SetAction(async (result, cancellationToken) =>
        {
            var target = result.GetRequiredValue(url);
            var asJson = result.GetValue(json);
            using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeoutSource.CancelAfter(result.GetValue(timeout));
            try
            {
                if (!Uri.TryCreate(target, UriKind.Absolute, out var targetUrl) || targetUrl.Scheme != Uri.UriSchemeHttps)
                {
                    throw new CommandLineException($"'{target}' is not an absolute https URL (for example https://api.example.test/health).");
                }

                var options = certificateArguments.Read(result, result.GetValue(certificate));
                using var loaded = options is null ? null : certificateArguments.Load(result, options, CertificateArguments.LoadForHandshake, Console.Error);
                var caPath = result.GetValue(ca);
                using var trust = CreateTrust(caPath);
                var verifier = new ServerCertificateVerifier(CertificateArguments.ClientName, trust, [], NullLogger.Instance);
                var trustDescription = caPath is null ? "system trust" : $"custom roots from '{Path.GetFullPath(caPath)}'";
                var settings = new ProbeSettings(targetUrl, loaded, options is null ? null : CertificateArguments.DescribeSource(options), trust, verifier, trustDescription, result.GetValue(http2));
                var report = await TlsProbe.RunAsync(settings, timeoutSource.Token).ConfigureAwait(false);
                Print(report, asJson, Console.Out);
                return report.ExitCode;
            }
            catch (ClientCertificateException ex)
            {
                return ToolOutput.Error(ex.Message, CertificateArguments.HintFor(ex), asJson, ex.Reason.ToString());
            }
            catch (CommandLineException ex)
            {
                return ToolOutput.Error(ex.Message, null, asJson);
            }
            catch (OperationCanceledException) when (timeoutSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                return ToolOutput.Error($"The probe of {target} did not finish within {result.GetValue(timeout)} (--timeout).", "The server accepted the connection but stopped answering, or a step hung.", asJson, "Timeout");
            }
        });
        return command;
    }

    private static ServerTrustSettings CreateTrust(string? caPath)
    {
        var options = caPath is null
            ? new ServerTrustOptions()
            : new ServerTrustOptions { Mode = ServerTrustMode.CustomRoots, RootCertificatesPath = caPath };
        var problems = new List<ClientCertificateException>();
        var names = new SettingNames(CertificateArguments.ClientName, ConfigurationPath: null);
        return ServerTrustPolicy.Create(names, options, isDevelopment: false, validatorCount: 0, problems)
            ?? throw ClientCertificateException.Combine(CertificateArguments.ClientName, problems);
    }

    private static void Print(ProbeReport report, bool asJson, TextWriter output)
    {
        if (asJson)
        {
            output.WriteLine(ToolOutput.Json(report, ProbeJsonContext.Default.ProbeReport));
            return;
        }

        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"Probe of {report.Url}"));
        output.WriteLine(string.Create(c, $"  server name (SNI):   {report.ServerName ?? "(none: IP literal)"}"));
        if (report.Timings.TcpConnectMs is { } tcp)
        {
            output.WriteLine(string.Create(c, $"  TCP connect:         {report.RemoteAddress} in {tcp:0.0} ms"));
        }

        if (report.Tls is { } tls)
        {
            output.WriteLine(string.Create(c, $"  TLS:                 {tls.Protocol}, {tls.CipherSuite}, ALPN {tls.Alpn ?? "(none)"}, handshake {report.Timings.TlsHandshakeMs:0.0} ms"));
        }
        else if (report.Timings.TlsHandshakeMs is { } failedAfter)
        {
            output.WriteLine(string.Create(c, $"  TLS:                 the handshake failed after {failedAfter:0.0} ms"));
        }

        var client = report.ClientCertificate;
        output.WriteLine();
        output.WriteLine(string.Create(c, $"Client certificate:    {client.Source ?? "(none given)"}"));
        output.WriteLine(string.Create(c, $"  requested by server: {YesNo(client.Requested)}"));
        if (client.AcceptableCas is { } acceptable)
        {
            output.WriteLine(string.Create(c, $"  acceptable CAs:      {(acceptable.Count == 0 ? "(the server listed none: any CA)" : string.Join("; ", acceptable))}"));
        }

        if (client.Chain.Count > 0)
        {
            output.WriteLine(string.Create(c, $"  sent:                {(client.Sent is null ? "unknown (the handshake did not complete)" : YesNo(client.Sent))}"));
            foreach (var (certificate, index) in client.Chain.Select((x, i) => (x, i)))
            {
                output.WriteLine(string.Create(c, $"  {(index == 0 ? "leaf" : "chain"),-5}                {certificate.Subject} ({certificate.Thumbprint}, not after {certificate.NotAfter:yyyy-MM-dd})"));
            }
        }

        if (report.ServerCertificate is null && report.Timings.TlsHandshakeMs is not null)
        {
            output.WriteLine();
            output.WriteLine("Server certificate:    not checked (the handshake failed before our side validated it)");
        }

        if (report.ServerCertificate is { } server)
        {
            output.WriteLine();
            output.WriteLine(string.Create(c, $"Server certificate:    {(server.Trusted ? "trusted" : "REJECTED")} ({server.Trust})"));
            foreach (var (certificate, index) in server.Sent.Select((x, i) => (x, i)))
            {
                output.WriteLine(string.Create(c, $"  {(index == 0 ? "leaf" : "chain"),-5}                {certificate.Subject} ({certificate.Thumbprint}, not after {certificate.NotAfter:yyyy-MM-dd})"));
            }

            if (server.Built.Count > 0)
            {
                output.WriteLine(string.Create(c, $"  built chain ends at: {server.Built[^1].Subject}"));
            }

            if (server.Problem is not null)
            {
                output.WriteLine(string.Create(c, $"  problem:             {server.Problem}"));
            }
        }

        if (report.Http is { } http)
        {
            output.WriteLine();
            output.WriteLine(string.Create(c, $"HTTP/{http.Version} {http.Status} {http.Reason}"));
            if (report.Timings.TimeToFirstByteMs is { } ttfb)
            {
                output.WriteLine(string.Create(c, $"  time to first byte:  {ttfb:0.0} ms{(report.Timings.TimeToFirstByteNote is { } note ? $" ({note})" : string.Empty)}"));
            }
        }

        if (report.Resumption is { } resumption)
        {
            output.WriteLine(string.Create(c, $"Session resumption:    {(resumption.Attempted ? YesNo(resumption.Resumed) : "not tested")}{(resumption.TlsHandshakeMs is { } ms ? $", second handshake {ms:0.0} ms" : string.Empty)}"));
            output.WriteLine(string.Create(c, $"  {resumption.Note}"));
        }

        foreach (var warning in report.Warnings)
        {
            output.WriteLine();
            output.WriteLine("warning: " + warning);
        }

        if (report.Diagnosis is { } diagnosis)
        {
            output.WriteLine();
            output.WriteLine($"Diagnosis ({diagnosis.Side}): {diagnosis.Summary}");
            if (diagnosis.Evidence is not null)
            {
                output.WriteLine($"  evidence: {diagnosis.Evidence}");
            }

            if (diagnosis.Advice is not null)
            {
                output.WriteLine($"  what to do: {diagnosis.Advice}");
            }
        }

        output.WriteLine();
        output.WriteLine(string.Create(c, $"Result: {report.Outcome} (exit code {report.ExitCode})"));
    }

    private static string YesNo(bool? value) => value switch
    {
        true => "yes",
        false => "no",
        null => "unknown",
    };
}
