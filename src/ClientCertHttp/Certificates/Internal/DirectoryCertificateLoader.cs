namespace ClientCertHttp.Certificates;

/// <summary>
/// Loads a Kubernetes <c>kubernetes.io/tls</c> secret mount: <c>tls.crt</c> (certificate + intermediates) and
/// <c>tls.key</c>. The kubelet publishes the files as symbolic links through <c>..data</c> to a timestamped folder
/// and swaps <c>..data</c> atomically on update; opening the files by their plain names follows the links, so a
/// load always sees one consistent version.
/// </summary>
internal static class DirectoryCertificateLoader
{
    internal const string CertificateFileName = "tls.crt";
    internal const string KeyFileName = "tls.key";

    public static LoadedClientCertificate Load(CertificateLoadContext context)
    {
        var key = context.Key("Directory");
        var folder = CertificateFile.ResolvePath(context.Options.Directory!);
        if (!System.IO.Directory.Exists(folder))
        {
            throw new ClientCertificateException(
                context.ClientName,
                ClientCertificateFailureReason.FileNotFound,
                $"{context.Prefix}: the folder '{folder}' ({key}) does not exist. Check the secret's volume mount path; a relative path is resolved against '{Environment.CurrentDirectory}'.",
                folder);
        }

        var certificate = PemCertificateLoader.ReadText(context, key, Path.Combine(folder, CertificateFileName));
        var privateKey = PemCertificateLoader.ReadText(context, key, Path.Combine(folder, KeyFileName));
        return PemCertificateLoader.Load(context, certificate, privateKey, chainInput: null, $"Kubernetes TLS secret folder '{folder}'");
    }
}
