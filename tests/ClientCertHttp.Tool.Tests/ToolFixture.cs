using ClientCertHttp.Testing;
using ClientCertHttp.TestUtilities;

namespace ClientCertHttp.Tool.Tests;

/// <summary>
/// A run-time CA, a client PFX (password handed over in an environment variable, never on the command line), the
/// root as PEM for --ca, and a real Kestrel server that requires a client certificate chaining to that root.
/// </summary>
public sealed class ToolFixture : IAsyncLifetime
{
    public const string PasswordVariable = "CLIENTCERT_TOOL_TEST_PASSWORD";

    public const string Password = "Tool-Test-Pfx-7c21";

    public TestCertificateAuthority Ca { get; } = TestCertificateAuthority.Create("ClientCertHttp Tool");

    public TempDirectory Temp { get; } = new();

    public MtlsTestServer Server { get; private set; } = null!;

    public string ClientPfxPath { get; private set; } = null!;

    public string ClientThumbprint { get; private set; } = null!;

    public string RootPemPath { get; private set; } = null!;

    public static IDictionary<string, string> PasswordEnvironment => new Dictionary<string, string> { [PasswordVariable] = Password };

    public async Task InitializeAsync()
    {
        Server = await MtlsTestServer.StartAsync(Ca);
        using var leaf = Ca.IssueClientCertificate("CN=tool-client", o => o.NotAfter = DateTimeOffset.UtcNow.AddDays(365));
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

    /// <summary>The certificate options for the fixture's PFX: --cert, --password-env and --ca.</summary>
    public string[] PfxArguments() => ["--cert", ClientPfxPath, "--password-env", PasswordVariable, "--ca", RootPemPath];
}

[CollectionDefinition(Name)]
public sealed class ToolGroup : ICollectionFixture<ToolFixture>
{
    public const string Name = "clientcert tool";
}
