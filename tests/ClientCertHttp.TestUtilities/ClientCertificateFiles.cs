using ClientCertHttp.Testing;

namespace ClientCertHttp.TestUtilities;

/// <summary>
/// What an add-on test's client needs on disk: a run-time CA, a renewable client PFX and the root as PEM for the
/// client's server trust, in a temporary folder removed on dispose.
/// </summary>
public sealed class ClientCertificateFiles : IDisposable
{
    /// <summary>Initializes a new instance of the <see cref="ClientCertificateFiles"/> class.</summary>
    /// <param name="caName">The CA's name, shown in its subjects.</param>
    /// <param name="password">The PFX password.</param>
    public ClientCertificateFiles(string caName, string password)
    {
        Ca = TestCertificateAuthority.Create(caName);
        Password = password;
        Pfx = new RenewedPfxFile(Ca, Temp.Combine("client.pfx"), password);
        RootPemPath = Ca.WriteRootPem(Temp.Combine("root.pem"));
    }

    /// <summary>Gets the certificate authority (root and intermediate).</summary>
    public TestCertificateAuthority Ca { get; }

    /// <summary>Gets the temporary folder.</summary>
    public TempDirectory Temp { get; } = new();

    /// <summary>Gets the client PFX.</summary>
    public RenewedPfxFile Pfx { get; }

    /// <summary>Gets the PFX password.</summary>
    public string Password { get; }

    /// <summary>Gets the path of the root certificate, as PEM.</summary>
    public string RootPemPath { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        Temp.Dispose();
        Ca.Dispose();
    }
}
