using ClientCertHttp.Testing;

namespace ClientCertHttp.TestUtilities;

/// <summary>
/// A client PFX at one path that a test renews the way deployment tools do (written beside it, then moved over it),
/// and the bounded wait for a client to present the renewed certificate.
/// </summary>
/// <param name="ca">Issues the client certificates.</param>
/// <param name="path">Where the PFX lives.</param>
/// <param name="password">The PFX password.</param>
public sealed class RenewedPfxFile(TestCertificateAuthority ca, string path, string password)
{
    /// <summary>Gets the PFX path.</summary>
    public string Path { get; } = path;

    /// <summary>Issues a client certificate for <paramref name="subject"/> and writes it (leaf and intermediate) to <see cref="Path"/>.</summary>
    /// <param name="subject">The leaf's subject.</param>
    /// <param name="replace">Whether to write it beside the file and move it over, as a renewal does, instead of in place.</param>
    /// <returns>The leaf's thumbprint.</returns>
    public string IssueAndWrite(string subject, bool replace = false)
    {
        using var leaf = ca.IssueClientCertificate(subject);
        if (!replace)
        {
            ca.WritePfx(Path, leaf, password);
            return leaf.Thumbprint;
        }

        var staging = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, Guid.NewGuid().ToString("N") + ".tmp");
        ca.WritePfx(staging, leaf, password);
        File.Move(staging, Path, overwrite: true);
        return leaf.Thumbprint;
    }

    /// <summary>
    /// Asks the server who the client is until it presents <paramref name="thumbprint"/>: at most 50 requests, 200 ms
    /// apart (10 s), far above the 2 s detection bound of a 200 ms poll interval.
    /// </summary>
    /// <param name="whoAmI">Sends one request and reads the server's report.</param>
    /// <param name="thumbprint">The thumbprint of the renewed certificate.</param>
    /// <returns>The first report that shows it, or <see langword="null"/> when none did within the bound.</returns>
    public static async Task<MtlsRequestReport?> WaitForThumbprintAsync(Func<Task<MtlsRequestReport>> whoAmI, string thumbprint)
    {
        ArgumentNullException.ThrowIfNull(whoAmI);
        for (var i = 0; i < 50; i++)
        {
            var report = await whoAmI().ConfigureAwait(false);
            if (report.Thumbprint == thumbprint)
            {
                return report;
            }

            await Task.Delay(200).ConfigureAwait(false);
        }

        return null;
    }
}
