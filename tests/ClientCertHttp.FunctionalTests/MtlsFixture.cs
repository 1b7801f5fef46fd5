using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Testing;
using ClientCertHttp.Trust;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ClientCertHttp.FunctionalTests;

/// <summary>
/// A run-time CA (root → intermediate), a real Kestrel server that requires a client certificate and trusts ONLY
/// the root (so the client must send the intermediate), a client PFX and a PEM file of the root for the client's
/// server trust.
/// </summary>
public sealed class MtlsFixture : IAsyncLifetime
{
    public const string Password = "Functional-Pfx-51d7";

    public TestCertificateAuthority Ca { get; } = TestCertificateAuthority.Create("ClientCertHttp Functional");

    public TempDirectory Temp { get; } = new();

    public MtlsTestServer Server { get; private set; } = null!;

    public string ClientPfxPath { get; private set; } = null!;

    public string ClientThumbprint { get; private set; } = null!;

    public string RootPemPath { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await MtlsTestServer.StartAsync(Ca);
        using var leaf = Ca.IssueClientCertificate("CN=functional-client");
        ClientThumbprint = leaf.Thumbprint;
        ClientPfxPath = Ca.WritePfx(Temp.Combine("client.pfx"), leaf, Password);
        RootPemPath = Ca.WriteRootPem(Temp.Combine("root.pem"));
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Temp.Dispose();
        Ca.Dispose();
    }

    /// <summary>Configures a client to call <see cref="Server"/> with the client PFX, trusting only the test root.</summary>
    public void Configure(ClientCertHttpOptions options)
    {
        options.BaseAddress = Server.BaseAddress;
        options.Certificate.Path = ClientPfxPath;
        options.Certificate.Password = Password;
        options.ServerTrust.Mode = ServerTrustMode.CustomRoots;
        options.ServerTrust.RootCertificatesPath = RootPemPath;
    }

    /// <summary>A server certificate from <see cref="Ca"/> that names only api.other.test, so it matches neither 127.0.0.1 nor localhost.</summary>
    public X509Certificate2 IssueWrongNameServerCertificate() => Ca.IssueServerCertificate("CN=api.other.test", o =>
    {
        o.DnsNames = ["api.other.test"];
        o.IpAddresses = [];
    });

    public static async Task<IHost> StartHostAsync(Action<IServiceCollection> configure, string environmentName = "Production")
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = environmentName });
        configure(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}

[CollectionDefinition(Name)]
public sealed class MtlsServerGroup : ICollectionFixture<MtlsFixture>
{
    public const string Name = "mTLS server";
}
