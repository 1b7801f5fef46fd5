using ClientCertHttp.IntegrationTests.Grpc;
using ClientCertHttp.Testing;
using ClientCertHttp.Trust;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ClientCertHttp.IntegrationTests;

/// <summary>
/// A run-time CA (root → intermediate), a client PFX issued by it and the root as PEM for the clients' server trust.
/// Each test starts its own server, so that connection counts and reports are its own.
/// </summary>
public sealed class IntegrationFixture : IDisposable
{
    public const string Password = "Integration-Pfx-3e9a";
    public const string ClientSubject = "CN=integration-client";

    public IntegrationFixture()
    {
        using var leaf = Ca.IssueClientCertificate(ClientSubject);
        ClientPfxPath = Ca.WritePfx(Temp.Combine("client.pfx"), leaf, Password);
        RootPemPath = Ca.WriteRootPem(Temp.Combine("root.pem"));
    }

    public TestCertificateAuthority Ca { get; } = TestCertificateAuthority.Create("ClientCertHttp Integration");

    public TempDirectory Temp { get; } = new();

    public string ClientPfxPath { get; }

    public string RootPemPath { get; }

    /// <summary>A real Kestrel mTLS server (HTTP/1.1 and HTTP/2) that also serves <see cref="EchoService"/> over gRPC.</summary>
    public Task<MtlsTestServer> StartServerAsync(Action<MtlsTestServerOptions>? configure = null) => MtlsTestServer.StartAsync(Ca, o =>
    {
        o.ConfigureServices = services => services.AddGrpc();
        o.MapEndpoints = endpoints => endpoints.MapGrpcService<EchoService>();
        configure?.Invoke(o);
    });

    /// <summary>Configures a client to call <paramref name="server"/> with the client PFX, trusting only the test root.</summary>
    public void Configure(ClientCertHttpOptions options, MtlsTestServer server)
    {
        options.BaseAddress = server.BaseAddress;
        options.Certificate.Path = ClientPfxPath;
        options.Certificate.Password = Password;
        options.ServerTrust.Mode = ServerTrustMode.CustomRoots;
        options.ServerTrust.RootCertificatesPath = RootPemPath;
    }

    public static async Task<IHost> StartHostAsync(Action<IServiceCollection> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Production });
        configure(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    public void Dispose()
    {
        Temp.Dispose();
        Ca.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class IntegrationGroup : ICollectionFixture<IntegrationFixture>
{
    public const string Name = "integration";
}
