// A custom certificate provider end to end: a fake vault (plain HTTP on loopback, token-protected) holds the client's
// PFX; VaultCertificateProvider fetches it at startup; the client calls a local mTLS server that trusts only the
// run-time CA's root. Nothing is read from or written to disk outside a temporary folder.
using System.Security.Cryptography;
using ClientCertHttp.Certificates;
using ClientCertHttp.Testing;
using ClientCertHttp.VaultProviderSample;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

using var ca = TestCertificateAuthority.Create("ClientCertHttp Vault Demo");
using var temp = new TempDirectory();
using var clientCertificate = ca.IssueClientCertificate("CN=vault-demo-client");
var rootPath = ca.WriteRootPem(temp.Combine("root.pem"));

// The fake vault: one secret per client name, readable with a token.
var vaultToken = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
var secrets = new Dictionary<string, string> { ["payments"] = Convert.ToBase64String(ca.ExportPfx(clientCertificate, password: null)) };
var vaultBuilder = WebApplication.CreateSlimBuilder();
vaultBuilder.WebHost.UseKestrel(o => o.Listen(System.Net.IPAddress.Loopback, 0));
vaultBuilder.Logging.ClearProviders();
await using var vault = vaultBuilder.Build();
vault.MapGet("/v1/secret/mtls/{client}", (string client, HttpRequest request) =>
    request.Headers["X-Vault-Token"] != vaultToken ? Results.StatusCode(StatusCodes.Status403Forbidden)
    : secrets.TryGetValue(client, out var pfx) ? Results.Json(new { pfx })
    : Results.NotFound());
await vault.StartAsync();
var vaultAddress = new Uri(vault.Urls.First() + "/");
Console.WriteLine($"fake vault listening on {vaultAddress}");

await using var server = await MtlsTestServer.StartAsync(ca);
Console.WriteLine($"mTLS server listening on {server.BaseAddress}");

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, DisableDefaults = true });
builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information);
builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);

builder.Services.AddHttpClient(VaultCertificateProvider.VaultClientName, c =>
{
    c.BaseAddress = vaultAddress;
    c.DefaultRequestHeaders.Add("X-Vault-Token", vaultToken);
});
builder.Services
    .AddClientCertHttpClient("payments", o =>
    {
        o.BaseAddress = server.BaseAddress;
        o.Certificate.ProviderTimeout = TimeSpan.FromSeconds(10);
        o.ServerTrust.Mode = ClientCertHttp.Trust.ServerTrustMode.CustomRoots;
        o.ServerTrust.RootCertificatesPath = rootPath;
    })
    .AddCertificateProvider<VaultCertificateProvider>();

using var host = builder.Build();
await host.StartAsync(); // calls the provider once; a vault that fails or hangs fails startup here

using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");
using var response = await client.GetAsync(new Uri("whoami", UriKind.Relative));
var report = await MtlsTestServer.ReadReportAsync(response);
Console.WriteLine();
Console.WriteLine($"HTTP {(int)response.StatusCode} over {report.HttpProtocol}, {report.TlsProtocol}");
Console.WriteLine($"  server saw leaf:  {report.Subject} ({report.Thumbprint})");
foreach (var certificate in report.SentChain)
{
    Console.WriteLine($"  server saw chain: {certificate.Subject} ({certificate.Thumbprint})");
}

await host.StopAsync();
await vault.StopAsync();
Console.WriteLine();
Console.WriteLine("Done: the certificate came from the vault through a custom ICertificateProvider.");
