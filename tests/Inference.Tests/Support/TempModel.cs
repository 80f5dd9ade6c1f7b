using LlmServe.Inference.Models;

namespace LlmServe.Inference.Tests.Support;

/// <summary>A random checkpoint in a temporary directory, deleted on dispose.</summary>
internal sealed class TempModel : IDisposable
{
    public TempModel(TinyModelSpec spec)
    {
        Directory = Path.Combine(Path.GetTempPath(), "llmserve-tests", Guid.NewGuid().ToString("N"));
        RandomCheckpointWriter.Write(Directory, spec);
    }

    public string Directory { get; }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A mapped file may still be closing on some platforms; the temp folder is cleaned later anyway.
        }
    }
}
