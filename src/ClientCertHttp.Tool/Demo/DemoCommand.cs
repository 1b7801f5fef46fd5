using System.CommandLine;
using System.Security.Cryptography;
using ClientCertHttp.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Tool.Demo;

/// <summary>
/// The ClientCertHttp demo: mints a CA and a client certificate at run time, starts a local mTLS server on loopback
/// that trusts only that CA's root, and calls it through AddClientCertHttpClient. Nothing is read from or left on
/// disk outside a temporary folder, and no certificate is checked in.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo", "Runs the end-to-end demo: a run-time CA, a local Kestrel server that requires a client certificate, and calls through AddClientCertHttpClient over HTTP/1.1 and HTTP/2.");
        command.SetAction((_, cancellationToken) => RunAsync(Console.Out, cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        using var ca = TestCertificateAuthority.Create("ClientCertHttp Demo");
        using var temp = new TempDirectory();
        using var clientCertificate = ca.IssueClientCertificate("CN=demo-client");

        // A PFX holding the client certificate, its key and the intermediate CA, protected by a one-off password.
        var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
        var pfxPath = ca.WritePfx(temp.Combine("client.pfx"), clientCertificate, password);
        var rootPath = ca.WriteRootPem(temp.Combine("root.pem"));

        // The server requires a client certificate and trusts only the root: the client must send the intermediate.
        var server = await MtlsTestServer.StartAsync(ca, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using var serverScope = server.ConfigureAwait(false);
        await output.WriteLineAsync($"mTLS server listening on {server.BaseAddress} (requires a client certificate chaining to '{ca.Root.Subject}')").ConfigureAwait(false);

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
        // Polly logs every attempt at Information ("Execution attempt … Handled: 'False'"); retries are Warnings.
        builder.Logging.AddFilter("Polly", LogLevel.Warning);

        // The same keys an appsettings.json would hold under "ClientCertHttp:Clients:demo".
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ClientCertHttp:Clients:demo:BaseAddress"] = server.BaseAddress.ToString(),
            ["ClientCertHttp:Clients:demo:Certificate:Path"] = pfxPath,
            ["ClientCertHttp:Clients:demo:Certificate:Password"] = password,
            ["ClientCertHttp:Clients:demo:ServerTrust:Mode"] = "CustomRoots",
            ["ClientCertHttp:Clients:demo:ServerTrust:RootCertificatesPath"] = rootPath,
        });

        builder.Services.AddClientCertHttpClient("demo", builder.Configuration.GetSection("ClientCertHttp:Clients:demo"));

        using var host = builder.Build();
        await host.StartAsync(cancellationToken).ConfigureAwait(false); // loads and validates the certificate: a bad file or password fails here, not later

        var factory = host.Services.GetRequiredService<IHttpClientFactory>();
        foreach (var version in new[] { new Version(1, 1), new Version(2, 0) })
        {
            using var client = factory.CreateClient("demo");
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("whoami", UriKind.Relative))
            {
                Version = version,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var report = await MtlsTestServer.ReadReportAsync(response, cancellationToken).ConfigureAwait(false);

            await output.WriteLineAsync().ConfigureAwait(false);
            await output.WriteLineAsync($"HTTP {(int)response.StatusCode} over {report.HttpProtocol}, {report.TlsProtocol}").ConfigureAwait(false);
            await output.WriteLineAsync($"  server saw leaf:  {report.Subject} ({report.Thumbprint})").ConfigureAwait(false);
            foreach (var certificate in report.SentChain)
            {
                await output.WriteLineAsync($"  server saw chain: {certificate.Subject} ({certificate.Thumbprint})").ConfigureAwait(false);
            }
        }

        await host.StopAsync(cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync("Done: the server received the client certificate and its intermediate on every request.").ConfigureAwait(false);
        return ExitCodes.Ok;
    }
}
