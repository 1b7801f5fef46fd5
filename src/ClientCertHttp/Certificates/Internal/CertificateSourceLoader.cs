namespace ClientCertHttp.Certificates;

/// <summary>Loads a client's certificate from the one source its options configure.</summary>
internal static class CertificateSourceLoader
{
    public static LoadedClientCertificate Load(CertificateLoadContext context, CertificateSourceKind kind) => LoadSource(CertificatePassword.Read(context, kind), kind);

    private static LoadedClientCertificate LoadSource(CertificateLoadContext context, CertificateSourceKind kind) => kind switch
    {
        CertificateSourceKind.File when !string.IsNullOrWhiteSpace(context.Options.KeyPath) => PemCertificateLoader.LoadFiles(context),
        CertificateSourceKind.File => Pkcs12CertificateLoader.Load(context),
        CertificateSourceKind.Store => StoreCertificateLoader.Load(context),
        CertificateSourceKind.Inline => InlineCertificateLoader.Load(context),
        CertificateSourceKind.Directory => DirectoryCertificateLoader.Load(context),
        CertificateSourceKind.CredentialBundle => CredentialBundleCertificateLoader.Load(context),
        CertificateSourceKind.Provider => ProviderCertificateLoader.Load(context),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
